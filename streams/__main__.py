"""``python -m streams``: run the faust worker with every processor."""

from core.logs import configure_logging
from streams.app import app

if __name__ == "__main__":
    configure_logging("streams")
    app.main()
