"""The order sink: webshop orders from ``atraxion.webshop-orders`` into Odoo (runner.py)."""
