"""``python -m deploy.odoo_standin``: serve the Odoo stand-in until SIGINT/SIGTERM."""

from __future__ import annotations

from core.logs import configure_logging
from core.settings import get_settings
from deploy.odoo_standin.app import server


def main() -> None:
    configure_logging("odoo-standin")
    server(get_settings()).run()


if __name__ == "__main__":
    main()
