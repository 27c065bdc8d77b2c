"""A stand-in for Odoo's external API, for local runs and tests: a test double, not Odoo.

There is no Odoo server on a developer's machine, so ``python -m deploy.odoo_standin`` serves
what the webshop's order sink calls, over Odoo's own protocols (XML-RPC ``/xmlrpc/2``,
JSON-2 ``/json/2``) and with Odoo 17/18's field names, defaults, results and errors, reading
and writing the Odoo database directly (settings ``odoo_dsn``): an order it creates is a row
change Debezium captures like any other. Production points ``ATRAXION_ODOO_URL`` at a real
Odoo instead. Faults (errors, latency, dropped connections) can be injected by settings.

Modules: models (the models and fields served), domains (domains and orders as SQL), orm
(search/read/create/write on one transaction), partners and sales (what Odoo computes for
res.partner and sale.order), methods (which method a call reaches), auth, faults, database
(pool, transactions, retries), service (what every call goes through), xmlrpc and json2 (the
protocols), app (routes and server).
"""
