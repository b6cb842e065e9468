-- specgen 0.1.0: load script for SQLite; profile tiny, seed 7
-- spec hash 4caaeea227fd9bbadfd46053e2c3733beb6905df7110cc6528c77de6596044fc
-- Run from this directory: sqlite3 DBFILE < load.sqlite.sql
-- NULL is written as an unquoted \N (the shell's .import cannot express NULL): after a table's
-- parts are in, columns that hold NULLs get \N turned into NULL, and text values that were
-- written with one more leading backslash (one or more backslashes then N) get it removed.
-- CHECK constraints are not enforced until then (PRAGMA ignore_check_constraints).
.bail on
PRAGMA foreign_keys = OFF;
PRAGMA synchronous = OFF;
PRAGMA journal_mode = MEMORY;
PRAGMA ignore_check_constraints = ON;
.read schema.sql
BEGIN TRANSACTION;

-- customers: 40 rows in 1 part(s)
.import --csv data/customers/part-00000.csv customers
UPDATE "customers" SET "company" = NULLIF("company", '\N'), "last_login_ip" = NULLIF("last_login_ip", '\N') WHERE "company" = '\N' OR "last_login_ip" = '\N';

-- orders: 193 rows in 1 part(s)
.import --csv data/orders/part-00000.csv orders
UPDATE "orders" SET "shipped_at" = NULLIF("shipped_at", '\N') WHERE "shipped_at" = '\N';

-- products: 25 rows in 1 part(s)
.import --csv data/products/part-00000.csv products
UPDATE "products" SET "description" = NULLIF("description", '\N') WHERE "description" = '\N';

-- order_items: 490 rows in 1 part(s)
.import --csv data/order_items/part-00000.csv order_items

-- page_views: 452 rows in 1 part(s)
.import --csv data/page_views/part-00000.csv page_views

-- reviews: 82 rows in 1 part(s)
.import --csv data/reviews/part-00000.csv reviews
UPDATE "reviews" SET "body" = NULLIF("body", '\N') WHERE "body" = '\N';
COMMIT;
.read post_data.sql
PRAGMA ignore_check_constraints = OFF;
