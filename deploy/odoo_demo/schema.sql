-- The tables Atraxion captures, as Odoo 16, 17, 18 and 19 create them, plus the minimal rows
-- they point at and the technical tables a version check and company-dependent values need.
--
-- Column names and types follow what Odoo's ORM creates: `id serial`, audit columns
-- (create_uid, create_date, write_uid, write_date) as integer / timestamp without time zone,
-- Char -> varchar, Text/Html -> text, translatable Char/Text -> jsonb {"en_US": ...},
-- Float with digits and Monetary -> numeric, Float without digits -> double precision,
-- Selection -> varchar, Many2one -> integer FK named <table>_<column>_fkey, indexes named
-- <table>__<column>_index. Company-dependent fields are jsonb {"<company id>": value} in the
-- row from Odoo 18 on; before, their values are ir_property rows. Odoo uses trigram indexes
-- where pg_trgm is installed; these are btree so the schema needs no extension.
--
-- Versions: a line ending in a comment that starts with [16-17], [18+] or [19] exists only in
-- those Odoo versions (deploy/odoo_demo/versions.py renders the file for one version); on a
-- CREATE TABLE line, the whole table. A column whose type changed has one line per type;
-- where the last entries of a table differ, each version's last one has no comma.
--
-- The file, rendered, is idempotent and loadable in one go. The part after the post-load
-- marker holds the foreign keys and indexes; the seeder runs it after COPY so the bulk load
-- stays fast. Foreign keys are added only where the version has the column.

CREATE TABLE IF NOT EXISTS ir_module_module (
    id serial PRIMARY KEY,
    name varchar NOT NULL CONSTRAINT ir_module_module_name_uniq UNIQUE,
    category_id integer,
    shortdesc jsonb,
    summary jsonb,
    description jsonb,
    author varchar,
    maintainer varchar,
    contributors text,
    website varchar,
    -- '<major>.0.<module version>' of the installed code, e.g. '18.0.1.3' for base.
    latest_version varchar,
    published_version varchar,
    url varchar,
    sequence integer,
    auto_install boolean,
    state varchar(16),
    demo boolean,
    license varchar(32),
    application boolean,
    icon varchar,
    to_buy boolean,
    imported boolean,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE TABLE IF NOT EXISTS ir_model (
    id serial PRIMARY KEY,
    model varchar NOT NULL CONSTRAINT ir_model_obj_name_uniq UNIQUE,
    name jsonb NOT NULL,
    "order" varchar NOT NULL,
    info text,
    state varchar,
    transient boolean,
    abstract boolean,  -- [19]
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE TABLE IF NOT EXISTS ir_model_fields (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    complete_name varchar,  -- [16-18]
    model varchar NOT NULL,
    relation varchar,
    relation_field varchar,
    model_id integer NOT NULL,
    field_description jsonb NOT NULL,
    help jsonb,
    ttype varchar NOT NULL,
    state varchar NOT NULL,
    on_delete varchar,
    required boolean,
    readonly boolean,
    index boolean,
    translate boolean,  -- [16-18]
    translate varchar,  -- [19] 'standard', 'html_translate'... or NULL
    company_dependent boolean,  -- [18+]
    copied boolean,
    related varchar,
    store boolean,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone,
    CONSTRAINT ir_model_fields_name_unique UNIQUE (model, name)
);

-- External ids ("XML ids"): module.name names record res_id of model. Written by module data
-- (base.main_partner), imports (__import__.<the file's id>) and exports
-- (__export__.<table>_<id>_<8 hex>). The same in every version.
CREATE TABLE IF NOT EXISTS ir_model_data (
    id serial PRIMARY KEY,
    res_id integer,
    create_uid integer,
    write_uid integer,
    noupdate boolean,
    name varchar NOT NULL,
    module varchar NOT NULL,
    model varchar NOT NULL,
    create_date timestamp without time zone,
    write_date timestamp without time zone,
    CONSTRAINT ir_model_data_name_nospaces CHECK (name NOT LIKE '% %')
);

CREATE TABLE IF NOT EXISTS res_currency (
    id serial PRIMARY KEY,
    name varchar(3) NOT NULL CONSTRAINT res_currency_unique_name UNIQUE,
    full_name varchar,
    symbol varchar NOT NULL,
    rounding numeric,
    decimal_places integer,
    active boolean,
    position varchar,
    iso_numeric integer,  -- [18+]
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE TABLE IF NOT EXISTS res_country (
    id serial PRIMARY KEY,
    name jsonb NOT NULL,
    code varchar(2) CONSTRAINT res_country_code_uniq UNIQUE,
    phone_code integer,
    currency_id integer,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE TABLE IF NOT EXISTS res_partner (
    id serial PRIMARY KEY,
    name varchar,
    complete_name varchar,
    company_id integer,
    parent_id integer,
    user_id integer,
    ref varchar,
    lang varchar,
    tz varchar,
    vat varchar,
    company_registry varchar,
    website varchar,
    comment text,
    function varchar,
    type varchar,
    street varchar,
    street2 varchar,
    zip varchar,
    city varchar,
    country_id integer,
    partner_latitude numeric,
    partner_longitude numeric,
    email varchar,
    email_normalized varchar,
    phone varchar,
    mobile varchar,  -- [16-18] 19 keeps one phone number
    is_company boolean,
    color integer,
    partner_share boolean,
    commercial_partner_id integer,
    commercial_company_name varchar,
    company_name varchar,
    barcode varchar,  -- [16-17]
    barcode jsonb,  -- [18+] company-dependent
    active boolean,
    employee boolean,
    customer_rank integer,
    supplier_rank integer,
    buyer_id integer,  -- [17+]
    -- [18+] company-dependent {"<company id>": pricelist id}; before: ir_property rows
    -- named property_product_pricelist.
    specific_property_product_pricelist jsonb,  -- [18+]
    properties jsonb,  -- [19]
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone,
    CONSTRAINT res_partner_check_name
        CHECK ((type = 'contact' AND name IS NOT NULL) OR (type != 'contact'))
);

CREATE TABLE IF NOT EXISTS res_company (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    partner_id integer NOT NULL,
    currency_id integer NOT NULL,
    parent_id integer,
    sequence integer,
    active boolean,
    email varchar,
    phone varchar,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE TABLE IF NOT EXISTS res_users (
    id serial PRIMARY KEY,
    active boolean,
    login varchar NOT NULL CONSTRAINT res_users_login_key UNIQUE,
    password varchar,
    company_id integer NOT NULL,
    partner_id integer NOT NULL,
    share boolean,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE TABLE IF NOT EXISTS uom_category (  -- [16-18] 19 relates units to units
    id serial PRIMARY KEY,
    name jsonb NOT NULL,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE TABLE IF NOT EXISTS uom_uom (
    id serial PRIMARY KEY,
    name jsonb NOT NULL,
    category_id integer NOT NULL,  -- [16-18]
    -- Up to 18: this unit per reference unit of its category (a dozen: 1/12). 19: reference
    -- units in one of this (a dozen: 12), relative_factor times relative_uom_id's factor.
    factor numeric NOT NULL,  -- [16-18]
    factor numeric,  -- [19]
    rounding numeric NOT NULL,  -- [16-18]
    relative_factor numeric NOT NULL,  -- [19]
    relative_uom_id integer,  -- [19]
    sequence integer,  -- [19]
    parent_path varchar,  -- [19]
    active boolean,
    uom_type varchar NOT NULL,  -- [16-18]
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone,
    CONSTRAINT uom_uom_rounding_gt_zero CHECK (rounding > 0),  -- [16-18]
    CONSTRAINT uom_uom_factor_reference_is_one  -- [16-18]
        CHECK ((uom_type = 'reference' AND factor = 1.0) OR (uom_type != 'reference')),  -- [16-18]
    CONSTRAINT uom_uom_factor_gt_zero CHECK (factor != 0)  -- [16-18]
    CONSTRAINT uom_uom_factor_gt_zero CHECK (relative_factor != 0)  -- [19]
);

CREATE TABLE IF NOT EXISTS product_category (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    complete_name varchar,
    parent_id integer,
    parent_path varchar,
    product_properties_definition jsonb,  -- [17+]
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE TABLE IF NOT EXISTS product_template (
    id serial PRIMARY KEY,
    name jsonb NOT NULL,
    sequence integer,
    description jsonb,
    description_purchase jsonb,
    description_sale jsonb,
    -- [16-17] 'consu', 'service' or 'product' (storable); type holds the same.
    detailed_type varchar NOT NULL,  -- [16-17]
    -- 18+: 'consu' (goods, storable when is_storable), 'service' or 'combo'.
    type varchar NOT NULL,
    is_storable boolean,  -- [18+]
    service_tracking varchar NOT NULL,  -- [18+]
    categ_id integer NOT NULL,
    list_price numeric,
    volume numeric,
    weight numeric,
    sale_ok boolean,
    purchase_ok boolean,
    uom_id integer NOT NULL,
    uom_po_id integer NOT NULL,  -- [16-18] 19: per vendor price (product_supplierinfo)
    company_id integer,
    active boolean,
    color integer,
    default_code varchar,
    priority varchar,  -- [16-17]
    is_favorite boolean,  -- [18+]
    product_properties jsonb,  -- [17+]
    can_image_1024_be_zoomed boolean,
    has_configurable_attributes boolean,
    tracking varchar NOT NULL,
    sale_delay double precision,  -- [16]
    sale_delay integer,  -- [17+]
    -- [18+] company-dependent; before: ir_property rows.
    responsible_id jsonb,  -- [18+]
    property_stock_production jsonb,  -- [18+]
    property_stock_inventory jsonb,  -- [18+]
    lot_valuated boolean,  -- [18+]
    lot_sequence_id integer,  -- [19]
    invoice_policy varchar,
    service_type varchar,
    expense_policy varchar,
    sale_line_warn varchar NOT NULL,  -- [16-18] 19: a message is the warning
    sale_line_warn_msg text,
    purchase_method varchar,
    purchase_line_warn varchar NOT NULL,  -- [16-18]
    purchase_line_warn_msg text,
    description_picking jsonb,
    description_pickingout jsonb,
    description_pickingin jsonb,
    message_main_attachment_id integer,  -- [16]
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE TABLE IF NOT EXISTS product_product (
    id serial PRIMARY KEY,
    product_tmpl_id integer NOT NULL,
    default_code varchar,
    barcode varchar,
    -- Comma-separated product_template_attribute_value ids ('' without attributes). The
    -- attribute tables are not modelled, so the ids only keep variants of a template apart.
    combination_indices varchar,
    -- [18+] company-dependent {"<company id>": cost}, NULL when no cost is set; before: an
    -- ir_property row named standard_price per variant and company.
    standard_price jsonb,  -- [18+]
    active boolean,
    volume numeric,
    weight numeric,
    can_image_variant_1024_be_zoomed boolean,
    lot_properties_definition jsonb,  -- [17+]
    is_favorite boolean,  -- [19]
    message_main_attachment_id integer,  -- [16]
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE TABLE IF NOT EXISTS product_pricelist (
    id serial PRIMARY KEY,
    name jsonb NOT NULL,
    active boolean,
    sequence integer,
    currency_id integer NOT NULL,
    company_id integer,
    -- [16-17] 'with_discount' or 'without_discount': how sale order lines show a discount.
    discount_policy varchar,  -- [16-17]
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE TABLE IF NOT EXISTS product_pricelist_item (
    id serial PRIMARY KEY,
    pricelist_id integer NOT NULL,
    active boolean,  -- [16] the pricelist's
    company_id integer,
    currency_id integer,
    date_start timestamp without time zone,
    date_end timestamp without time zone,
    min_quantity numeric,
    applied_on varchar NOT NULL,
    -- [18+] what the form shows ('1_product' or '2_product_category').
    display_applied_on varchar NOT NULL,  -- [18+]
    categ_id integer,
    product_tmpl_id integer,
    product_id integer,
    base varchar NOT NULL,
    base_pricelist_id integer,
    compute_price varchar NOT NULL,
    fixed_price numeric,
    percent_price double precision,
    price_discount numeric,
    price_round numeric,
    price_surcharge numeric,
    -- [18+] -price_discount (a markup of 25 % is a discount of -25 %).
    price_markup numeric,  -- [18+]
    price_min_margin numeric,
    price_max_margin numeric,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE TABLE IF NOT EXISTS product_supplierinfo (
    id serial PRIMARY KEY,
    partner_id integer NOT NULL,
    product_name varchar,
    product_code varchar,
    sequence integer,
    min_qty numeric NOT NULL,
    price numeric NOT NULL,
    discount numeric,  -- [17+]
    company_id integer,
    currency_id integer NOT NULL,
    date_start date,
    date_end date,
    product_id integer,
    product_tmpl_id integer,  -- [16-18]
    product_tmpl_id integer NOT NULL,  -- [19]
    product_uom_id integer NOT NULL,  -- [19] the unit of price and min_qty
    delay integer NOT NULL,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE TABLE IF NOT EXISTS stock_location (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    complete_name varchar,
    active boolean,
    usage varchar NOT NULL,
    location_id integer,
    comment text,  -- [16-18]
    posx integer,  -- [16-18]
    posy integer,  -- [16-18]
    posz integer,  -- [16-18]
    parent_path varchar,
    company_id integer,
    scrap_location boolean,  -- [16-18]
    return_location boolean,  -- [16-17]
    replenish_location boolean,
    barcode varchar,
    cyclic_inventory_frequency integer,
    last_inventory_date date,
    next_inventory_date date,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone,
    CONSTRAINT stock_location_barcode_company_uniq UNIQUE (barcode, company_id),
    CONSTRAINT stock_location_inventory_freq_nonneg CHECK (cyclic_inventory_frequency >= 0)
);

CREATE TABLE IF NOT EXISTS stock_quant (
    id serial PRIMARY KEY,
    product_id integer NOT NULL,
    company_id integer,
    location_id integer NOT NULL,
    -- stock_lot and stock_quant_package are not modelled; the columns stay for shape.
    lot_id integer,
    package_id integer,
    owner_id integer,
    quantity numeric,
    reserved_quantity numeric NOT NULL,
    in_date timestamp without time zone NOT NULL,
    inventory_quantity numeric,
    inventory_diff_quantity numeric,
    inventory_date date,
    inventory_quantity_set boolean,
    user_id integer,
    accounting_date date,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE TABLE IF NOT EXISTS sale_order (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    origin varchar,
    client_order_ref varchar,
    reference varchar,
    state varchar,
    date_order timestamp without time zone NOT NULL,
    validity_date date,
    require_signature boolean,
    require_payment boolean,
    prepayment_percent double precision,  -- [17+]
    user_id integer,
    partner_id integer NOT NULL,
    partner_invoice_id integer NOT NULL,
    partner_shipping_id integer NOT NULL,
    pricelist_id integer,
    currency_id integer,
    invoice_status varchar,
    note text,
    amount_untaxed numeric,
    amount_tax numeric,
    amount_total numeric,
    currency_rate numeric,
    company_id integer NOT NULL,
    commitment_date timestamp without time zone,
    locked boolean,  -- [17+] 16 locks an order with state 'done'
    message_main_attachment_id integer,  -- [16]
    access_token varchar,
    picking_policy varchar NOT NULL,
    delivery_status varchar,
    effective_date timestamp without time zone,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE TABLE IF NOT EXISTS sale_order_line (
    id serial PRIMARY KEY,
    order_id integer NOT NULL,
    sequence integer,
    company_id integer,
    currency_id integer,
    order_partner_id integer,
    salesman_id integer,
    state varchar,
    display_type varchar,
    is_downpayment boolean,
    is_expense boolean,
    product_id integer,
    product_uom_qty numeric NOT NULL,
    product_uom integer,  -- [16-18]
    product_uom_id integer,  -- [19]
    name text NOT NULL,
    price_unit numeric NOT NULL,
    discount numeric,
    price_subtotal numeric,
    price_tax double precision,
    price_total numeric,
    price_reduce numeric,  -- [16]
    price_reduce_taxexcl numeric,
    price_reduce_taxinc numeric,
    qty_delivered numeric,
    qty_delivered_method varchar,
    qty_invoiced numeric,
    qty_to_invoice numeric,
    invoice_status varchar,
    customer_lead double precision NOT NULL,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone,
    CONSTRAINT sale_order_line_accountable_required_fields  -- [16-18]
        CHECK (display_type IS NOT NULL OR (product_id IS NOT NULL AND product_uom IS NOT NULL)),  -- [16-18]
    CONSTRAINT sale_order_line_non_accountable_null_fields  -- [16-18]
        CHECK (display_type IS NULL OR (product_id IS NULL AND price_unit = 0  -- [16-18]
               AND product_uom_qty = 0 AND product_uom IS NULL AND customer_lead = 0))  -- [16-18]
    CONSTRAINT sale_order_line_accountable_required_fields  -- [19]
        CHECK (display_type IS NOT NULL OR (product_id IS NOT NULL AND product_uom_id IS NOT NULL)),  -- [19]
    CONSTRAINT sale_order_line_non_accountable_null_fields  -- [19]
        CHECK (display_type IS NULL OR (product_id IS NULL AND price_unit = 0  -- [19]
               AND product_uom_qty = 0 AND product_uom_id IS NULL AND customer_lead = 0))  -- [19]
);

CREATE TABLE IF NOT EXISTS purchase_order (
    id serial PRIMARY KEY,
    name varchar NOT NULL,
    priority varchar,
    origin varchar,
    partner_ref varchar,
    date_order timestamp without time zone NOT NULL,
    date_approve timestamp without time zone,
    partner_id integer NOT NULL,
    dest_address_id integer,
    currency_id integer NOT NULL,
    state varchar,
    notes text,  -- [16-18]
    note text,  -- [19]
    invoice_count integer,
    invoice_status varchar,
    date_planned timestamp without time zone,
    date_calendar_start timestamp without time zone,
    amount_untaxed numeric,
    amount_tax numeric,
    amount_total numeric,
    user_id integer,
    company_id integer NOT NULL,
    currency_rate numeric,
    mail_reminder_confirmed boolean,  -- [16-18]
    mail_reception_confirmed boolean,  -- [16-18]
    locked boolean,  -- [19] before: state 'done'
    acknowledged boolean,  -- [19]
    message_main_attachment_id integer,  -- [16]
    access_token varchar,
    receipt_status varchar,
    effective_date timestamp without time zone,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

CREATE TABLE IF NOT EXISTS purchase_order_line (
    id serial PRIMARY KEY,
    name text NOT NULL,
    sequence integer,
    product_qty numeric NOT NULL,
    product_uom_qty double precision,
    date_planned timestamp without time zone,
    product_uom integer,  -- [16-18]
    product_uom_id integer,  -- [19]
    product_id integer,
    price_unit numeric NOT NULL,
    discount numeric,  -- [17+]
    price_subtotal numeric,
    price_total numeric,
    price_tax double precision,
    order_id integer NOT NULL,
    company_id integer,
    state varchar,  -- [16-18] 19: the order's
    qty_invoiced numeric,
    qty_received_method varchar,
    qty_received numeric,
    qty_received_manual numeric,
    qty_to_invoice numeric,
    partner_id integer,
    currency_id integer,  -- [16-18] 19: the order's
    display_type varchar,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone,
    CONSTRAINT purchase_order_line_accountable_required_fields  -- [16-18]
        CHECK (display_type IS NOT NULL OR (product_id IS NOT NULL AND product_uom IS NOT NULL  -- [16-18]
               AND date_planned IS NOT NULL)),  -- [16-18]
    CONSTRAINT purchase_order_line_non_accountable_null_fields  -- [16-18]
        CHECK (display_type IS NULL OR (product_id IS NULL AND price_unit = 0  -- [16-18]
               AND product_uom_qty = 0 AND product_uom IS NULL AND date_planned IS NULL))  -- [16-18]
    CONSTRAINT purchase_order_line_accountable_required_fields  -- [19]
        CHECK (display_type IS NOT NULL OR (product_id IS NOT NULL AND product_uom_id IS NOT NULL  -- [19]
               AND date_planned IS NOT NULL)),  -- [19]
    CONSTRAINT purchase_order_line_non_accountable_null_fields  -- [19]
        CHECK (display_type IS NULL OR (product_id IS NULL AND price_unit = 0  -- [19]
               AND product_uom_qty = 0 AND product_uom_id IS NULL AND date_planned IS NULL))  -- [19]
);

CREATE TABLE IF NOT EXISTS ir_property (  -- [16-17] 18 keeps these values in the rows
    id serial PRIMARY KEY,
    -- The field's name; fields_id says which model's.
    name varchar NOT NULL,
    -- '<model>,<record id>' ('product.product,42'); NULL: the default for every record.
    res_id varchar,
    -- NULL: for every company.
    company_id integer,
    fields_id integer NOT NULL,
    value_float double precision,
    value_integer integer,
    value_text text,
    value_binary bytea,
    -- '<model>,<record id>' of a many2one value.
    value_reference varchar,
    value_datetime timestamp without time zone,
    type varchar NOT NULL,
    create_uid integer,
    create_date timestamp without time zone,
    write_uid integer,
    write_date timestamp without time zone
);

-- post-load: foreign keys and indexes

DO $$
DECLARE
    fk text[];
    audited text;
    fk_name text;
BEGIN
    -- {table, column, referenced table, ON DELETE}: Odoo's default is SET NULL, RESTRICT
    -- for required fields, CASCADE where the field says ondelete='cascade'.
    FOREACH fk SLICE 1 IN ARRAY ARRAY[
        ['ir_model_fields', 'model_id', 'ir_model', 'CASCADE'],
        ['ir_property', 'fields_id', 'ir_model_fields', 'CASCADE'],
        ['ir_property', 'company_id', 'res_company', 'SET NULL'],
        ['res_country', 'currency_id', 'res_currency', 'SET NULL'],
        ['res_partner', 'company_id', 'res_company', 'SET NULL'],
        ['res_partner', 'parent_id', 'res_partner', 'SET NULL'],
        ['res_partner', 'user_id', 'res_users', 'SET NULL'],
        ['res_partner', 'country_id', 'res_country', 'RESTRICT'],
        ['res_partner', 'commercial_partner_id', 'res_partner', 'SET NULL'],
        ['res_partner', 'buyer_id', 'res_users', 'SET NULL'],
        ['res_company', 'partner_id', 'res_partner', 'RESTRICT'],
        ['res_company', 'currency_id', 'res_currency', 'RESTRICT'],
        ['res_company', 'parent_id', 'res_company', 'RESTRICT'],
        ['res_users', 'company_id', 'res_company', 'RESTRICT'],
        ['res_users', 'partner_id', 'res_partner', 'RESTRICT'],
        ['uom_uom', 'category_id', 'uom_category', 'RESTRICT'],
        ['uom_uom', 'relative_uom_id', 'uom_uom', 'CASCADE'],
        ['product_category', 'parent_id', 'product_category', 'CASCADE'],
        ['product_template', 'categ_id', 'product_category', 'RESTRICT'],
        ['product_template', 'uom_id', 'uom_uom', 'RESTRICT'],
        ['product_template', 'uom_po_id', 'uom_uom', 'RESTRICT'],
        ['product_template', 'company_id', 'res_company', 'SET NULL'],
        ['product_product', 'product_tmpl_id', 'product_template', 'CASCADE'],
        ['product_pricelist', 'currency_id', 'res_currency', 'RESTRICT'],
        ['product_pricelist', 'company_id', 'res_company', 'SET NULL'],
        ['product_pricelist_item', 'pricelist_id', 'product_pricelist', 'CASCADE'],
        ['product_pricelist_item', 'company_id', 'res_company', 'SET NULL'],
        ['product_pricelist_item', 'currency_id', 'res_currency', 'SET NULL'],
        ['product_pricelist_item', 'categ_id', 'product_category', 'CASCADE'],
        ['product_pricelist_item', 'product_tmpl_id', 'product_template', 'CASCADE'],
        ['product_pricelist_item', 'product_id', 'product_product', 'CASCADE'],
        ['product_pricelist_item', 'base_pricelist_id', 'product_pricelist', 'SET NULL'],
        ['product_supplierinfo', 'partner_id', 'res_partner', 'CASCADE'],
        ['product_supplierinfo', 'company_id', 'res_company', 'SET NULL'],
        ['product_supplierinfo', 'currency_id', 'res_currency', 'RESTRICT'],
        ['product_supplierinfo', 'product_id', 'product_product', 'SET NULL'],
        ['product_supplierinfo', 'product_tmpl_id', 'product_template', 'CASCADE'],
        ['product_supplierinfo', 'product_uom_id', 'uom_uom', 'RESTRICT'],
        ['stock_location', 'location_id', 'stock_location', 'CASCADE'],
        ['stock_location', 'company_id', 'res_company', 'SET NULL'],
        ['stock_quant', 'product_id', 'product_product', 'RESTRICT'],
        ['stock_quant', 'company_id', 'res_company', 'SET NULL'],
        ['stock_quant', 'location_id', 'stock_location', 'RESTRICT'],
        ['stock_quant', 'owner_id', 'res_partner', 'SET NULL'],
        ['stock_quant', 'user_id', 'res_users', 'SET NULL'],
        ['sale_order', 'user_id', 'res_users', 'SET NULL'],
        ['sale_order', 'partner_id', 'res_partner', 'RESTRICT'],
        ['sale_order', 'partner_invoice_id', 'res_partner', 'RESTRICT'],
        ['sale_order', 'partner_shipping_id', 'res_partner', 'RESTRICT'],
        ['sale_order', 'pricelist_id', 'product_pricelist', 'SET NULL'],
        ['sale_order', 'currency_id', 'res_currency', 'SET NULL'],
        ['sale_order', 'company_id', 'res_company', 'RESTRICT'],
        ['sale_order_line', 'order_id', 'sale_order', 'CASCADE'],
        ['sale_order_line', 'company_id', 'res_company', 'SET NULL'],
        ['sale_order_line', 'currency_id', 'res_currency', 'SET NULL'],
        ['sale_order_line', 'order_partner_id', 'res_partner', 'SET NULL'],
        ['sale_order_line', 'salesman_id', 'res_users', 'SET NULL'],
        ['sale_order_line', 'product_id', 'product_product', 'RESTRICT'],
        ['sale_order_line', 'product_uom', 'uom_uom', 'RESTRICT'],
        ['sale_order_line', 'product_uom_id', 'uom_uom', 'RESTRICT'],
        ['purchase_order', 'partner_id', 'res_partner', 'RESTRICT'],
        ['purchase_order', 'dest_address_id', 'res_partner', 'SET NULL'],
        ['purchase_order', 'currency_id', 'res_currency', 'RESTRICT'],
        ['purchase_order', 'user_id', 'res_users', 'SET NULL'],
        ['purchase_order', 'company_id', 'res_company', 'RESTRICT'],
        ['purchase_order_line', 'product_uom', 'uom_uom', 'SET NULL'],
        ['purchase_order_line', 'product_uom_id', 'uom_uom', 'SET NULL'],
        ['purchase_order_line', 'product_id', 'product_product', 'SET NULL'],
        ['purchase_order_line', 'order_id', 'purchase_order', 'CASCADE'],
        ['purchase_order_line', 'company_id', 'res_company', 'SET NULL'],
        ['purchase_order_line', 'partner_id', 'res_partner', 'SET NULL'],
        ['purchase_order_line', 'currency_id', 'res_currency', 'SET NULL']
    ] LOOP
        fk_name := format('%s_%s_fkey', fk[1], fk[2]);
        -- Only where this version has the column (and its table).
        IF EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = fk[1]
                   AND column_name = fk[2])
           AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = fk_name) THEN
            EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I FOREIGN KEY (%I) REFERENCES %I (id) ON DELETE %s',
                           fk[1], fk_name, fk[2], fk[3], fk[4]);
        END IF;
    END LOOP;

    -- Every Odoo table points its audit columns at res_users.
    FOREACH audited IN ARRAY ARRAY[
        'ir_module_module', 'ir_model', 'ir_model_fields', 'ir_model_data', 'ir_property',
        'res_currency', 'res_country', 'res_partner', 'res_company', 'res_users',
        'uom_category', 'uom_uom', 'product_category', 'product_template', 'product_product',
        'product_pricelist', 'product_pricelist_item', 'product_supplierinfo', 'stock_location',
        'stock_quant', 'sale_order', 'sale_order_line', 'purchase_order', 'purchase_order_line'
    ] LOOP
        CONTINUE WHEN to_regclass(audited) IS NULL;  -- a table of other versions
        FOREACH fk_name IN ARRAY ARRAY['create_uid', 'write_uid'] LOOP
            IF NOT EXISTS (SELECT 1 FROM pg_constraint
                           WHERE conname = format('%s_%s_fkey', audited, fk_name)) THEN
                EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I FOREIGN KEY (%I) '
                               'REFERENCES res_users (id) ON DELETE SET NULL',
                               audited, format('%s_%s_fkey', audited, fk_name), fk_name);
            END IF;
        END LOOP;
    END LOOP;
END
$$;

CREATE INDEX IF NOT EXISTS ir_model_fields__model_index ON ir_model_fields (model);
CREATE INDEX IF NOT EXISTS ir_model_fields__model_id_index ON ir_model_fields (model_id);
CREATE UNIQUE INDEX IF NOT EXISTS ir_model_data_module_name_uniq_index
    ON ir_model_data (module, name);
CREATE INDEX IF NOT EXISTS ir_model_data_model_res_id_index ON ir_model_data (model, res_id);
CREATE UNIQUE INDEX IF NOT EXISTS ir_property_unique_index ON ir_property (fields_id, COALESCE(company_id, 0), COALESCE(res_id, ''));  -- [16-17]
CREATE INDEX IF NOT EXISTS ir_property__res_id_index ON ir_property (res_id);  -- [16-17]
CREATE INDEX IF NOT EXISTS ir_property__company_id_index ON ir_property (company_id);  -- [16-17]
CREATE INDEX IF NOT EXISTS res_partner__name_index ON res_partner (name);
CREATE INDEX IF NOT EXISTS res_partner__complete_name_index ON res_partner (complete_name);
CREATE INDEX IF NOT EXISTS res_partner__ref_index ON res_partner (ref);
CREATE INDEX IF NOT EXISTS res_partner__parent_id_index ON res_partner (parent_id);
CREATE INDEX IF NOT EXISTS res_partner__company_id_index ON res_partner (company_id);
CREATE INDEX IF NOT EXISTS res_partner__commercial_partner_id_index
    ON res_partner (commercial_partner_id);
CREATE INDEX IF NOT EXISTS res_partner__vat_index ON res_partner (vat);
CREATE INDEX IF NOT EXISTS res_users__partner_id_index ON res_users (partner_id);
CREATE INDEX IF NOT EXISTS product_category__name_index ON product_category (name);
CREATE INDEX IF NOT EXISTS product_category__parent_id_index ON product_category (parent_id);
CREATE INDEX IF NOT EXISTS product_category__parent_path_index ON product_category (parent_path);
CREATE INDEX IF NOT EXISTS product_template__company_id_index ON product_template (company_id);
CREATE INDEX IF NOT EXISTS product_template__categ_id_index ON product_template (categ_id);
CREATE INDEX IF NOT EXISTS product_product__product_tmpl_id_index
    ON product_product (product_tmpl_id);
CREATE INDEX IF NOT EXISTS product_product__default_code_index ON product_product (default_code);
CREATE INDEX IF NOT EXISTS product_product__barcode_index
    ON product_product (barcode) WHERE barcode IS NOT NULL;
CREATE INDEX IF NOT EXISTS product_product__combination_indices_index
    ON product_product (combination_indices);
-- Odoo's init(): at most one active variant per attribute combination.
CREATE UNIQUE INDEX IF NOT EXISTS product_product_combination_unique
    ON product_product (product_tmpl_id, combination_indices) WHERE active IS TRUE;
CREATE INDEX IF NOT EXISTS product_pricelist_item__pricelist_id_index
    ON product_pricelist_item (pricelist_id);
CREATE INDEX IF NOT EXISTS product_pricelist_item__product_tmpl_id_index
    ON product_pricelist_item (product_tmpl_id);
CREATE INDEX IF NOT EXISTS product_pricelist_item__product_id_index
    ON product_pricelist_item (product_id);
CREATE INDEX IF NOT EXISTS product_pricelist_item__compute_price_index
    ON product_pricelist_item (compute_price);
CREATE INDEX IF NOT EXISTS product_supplierinfo__partner_id_index
    ON product_supplierinfo (partner_id);
CREATE INDEX IF NOT EXISTS product_supplierinfo__product_tmpl_id_index
    ON product_supplierinfo (product_tmpl_id);
CREATE INDEX IF NOT EXISTS stock_location__location_id_index ON stock_location (location_id);
CREATE INDEX IF NOT EXISTS stock_location__parent_path_index ON stock_location (parent_path);
CREATE INDEX IF NOT EXISTS stock_location__usage_index ON stock_location (usage);
CREATE INDEX IF NOT EXISTS stock_location__company_id_index ON stock_location (company_id);
CREATE INDEX IF NOT EXISTS stock_quant__product_id_index ON stock_quant (product_id);
CREATE INDEX IF NOT EXISTS stock_quant__location_id_index ON stock_quant (location_id);
CREATE INDEX IF NOT EXISTS stock_quant__owner_id_index ON stock_quant (owner_id);
CREATE INDEX IF NOT EXISTS sale_order__name_index ON sale_order (name);
CREATE INDEX IF NOT EXISTS sale_order__date_order_index ON sale_order (date_order);
CREATE INDEX IF NOT EXISTS sale_order__partner_id_index ON sale_order (partner_id);
CREATE INDEX IF NOT EXISTS sale_order__state_index ON sale_order (state);
CREATE INDEX IF NOT EXISTS sale_order__user_id_index ON sale_order (user_id);
CREATE INDEX IF NOT EXISTS sale_order__company_id_index ON sale_order (company_id);
CREATE INDEX IF NOT EXISTS sale_order_line__order_id_index ON sale_order_line (order_id);
CREATE INDEX IF NOT EXISTS sale_order_line__product_id_index
    ON sale_order_line (product_id) WHERE product_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS purchase_order__name_index ON purchase_order (name);
CREATE INDEX IF NOT EXISTS purchase_order__priority_index ON purchase_order (priority);
CREATE INDEX IF NOT EXISTS purchase_order__date_order_index ON purchase_order (date_order);
CREATE INDEX IF NOT EXISTS purchase_order__date_approve_index ON purchase_order (date_approve);
CREATE INDEX IF NOT EXISTS purchase_order__date_planned_index ON purchase_order (date_planned);
CREATE INDEX IF NOT EXISTS purchase_order__state_index ON purchase_order (state);
CREATE INDEX IF NOT EXISTS purchase_order__user_id_index ON purchase_order (user_id);
CREATE INDEX IF NOT EXISTS purchase_order__company_id_index ON purchase_order (company_id);
CREATE INDEX IF NOT EXISTS purchase_order_line__order_id_index ON purchase_order_line (order_id);
CREATE INDEX IF NOT EXISTS purchase_order_line__product_id_index
    ON purchase_order_line (product_id);
