-- specgen 0.1.0: verification checks for SQLite; profile tiny, seed 7
-- spec hash 4caaeea227fd9bbadfd46053e2c3733beb6905df7110cc6528c77de6596044fc
-- specgen verify runs these queries and compares each result value with its check's "expected"
-- (most are 0: orphans, duplicates, values out of domain). A "-- specgen-check:" line describes
-- one result column of the query below it, in order. The file also runs as is in the client.

-- specgen-check: {"expected": 40, "kind": "rows", "name": "rows customers", "table": "customers"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls customers.id", "table": "customers"}
-- specgen-check: {"expected": 820, "kind": "sum", "name": "sum customers.id", "table": "customers", "tolerance": 1e-12}
-- specgen-check: {"expected": 1, "kind": "min", "name": "min customers.id", "table": "customers"}
-- specgen-check: {"expected": 40, "kind": "max", "name": "max customers.id", "table": "customers"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls customers.uid", "table": "customers"}
-- specgen-check: {"expected": 1440, "kind": "sum_length", "name": "sum_length customers.uid", "table": "customers"}
-- specgen-check: {"expected": 0, "kind": "format", "name": "format customers.uid", "table": "customers"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls customers.email", "table": "customers"}
-- specgen-check: {"expected": 1134, "kind": "sum_length", "name": "sum_length customers.email", "table": "customers"}
-- specgen-check: {"expected": 0, "kind": "format", "name": "format customers.email", "table": "customers"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls customers.full_name", "table": "customers"}
-- specgen-check: {"expected": 522, "kind": "sum_length", "name": "sum_length customers.full_name", "table": "customers"}
-- specgen-check: {"expected": 12, "kind": "nulls", "name": "nulls customers.company", "table": "customers"}
-- specgen-check: {"expected": 514, "kind": "sum_length", "name": "sum_length customers.company", "table": "customers"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls customers.country", "table": "customers"}
-- specgen-check: {"expected": 80, "kind": "sum_length", "name": "sum_length customers.country", "table": "customers"}
-- specgen-check: {"expected": 0, "kind": "enum", "name": "enum customers.country", "table": "customers"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls customers.created_at", "table": "customers"}
-- specgen-check: {"expected": 1736271947, "kind": "min", "name": "min customers.created_at", "table": "customers"}
-- specgen-check: {"expected": 1766898725, "kind": "max", "name": "max customers.created_at", "table": "customers"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls customers.is_active", "table": "customers"}
-- specgen-check: {"expected": 39, "kind": "sum", "name": "sum customers.is_active", "table": "customers"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls customers.lifetime_value", "table": "customers"}
-- specgen-check: {"expected": 12893.289999999999, "kind": "sum", "name": "sum customers.lifetime_value", "table": "customers", "tolerance": 1e-09}
-- specgen-check: {"expected": 3.44, "kind": "min", "name": "min customers.lifetime_value", "table": "customers", "tolerance": 1e-12}
-- specgen-check: {"expected": 2575.68, "kind": "max", "name": "max customers.lifetime_value", "table": "customers", "tolerance": 1e-12}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls customers.preferences", "table": "customers"}
-- specgen-check: {"expected": 2311, "kind": "sum_length", "name": "sum_length customers.preferences", "table": "customers"}
-- specgen-check: {"expected": 3, "kind": "nulls", "name": "nulls customers.last_login_ip", "table": "customers"}
-- specgen-check: {"expected": 485, "kind": "sum_length", "name": "sum_length customers.last_login_ip", "table": "customers"}
-- specgen-sql: "SELECT COUNT(*), COUNT(*) - COUNT(\"id\"), COALESCE(TOTAL(\"id\"), 0), MIN(\"id\"), MAX(\"id\"), COUNT(*) - COUNT(\"uid\"), COALESCE(SUM(length(\"uid\")), 0), SUM(CASE WHEN \"uid\" IS NOT NULL AND NOT (\"uid\" REGEXP '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$') THEN 1 ELSE 0 END), COUNT(*) - COUNT(\"email\"), COALESCE(SUM(length(\"email\")), 0), SUM(CASE WHEN \"email\" IS NOT NULL AND NOT (\"email\" REGEXP '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$') THEN 1 ELSE 0 END), COUNT(*) - COUNT(\"full_name\"), COALESCE(SUM(length(\"full_name\")), 0), COUNT(*) - COUNT(\"company\"), COALESCE(SUM(length(\"company\")), 0), COUNT(*) - COUNT(\"country\"), COALESCE(SUM(length(\"country\")), 0), SUM(CASE WHEN \"country\" NOT IN ('BR', 'DE', 'FR', 'GB', 'IN', 'JP', 'US') THEN 1 ELSE 0 END), COUNT(*) - COUNT(\"created_at\"), CAST(strftime('%s', MIN(\"created_at\")) AS INTEGER), CAST(strftime('%s', MAX(\"created_at\")) AS INTEGER), COUNT(*) - COUNT(\"is_active\"), COALESCE(SUM(CASE WHEN \"is_active\" THEN 1 ELSE 0 END), 0), COUNT(*) - COUNT(\"lifetime_value\"), COALESCE(SUM(\"lifetime_value\"), 0), MIN(\"lifetime_value\"), MAX(\"lifetime_value\"), COUNT(*) - COUNT(\"preferences\"), COALESCE(SUM(length(\"preferences\")), 0), COUNT(*) - COUNT(\"last_login_ip\"), COALESCE(SUM(length(\"last_login_ip\")), 0) FROM \"customers\";"
SELECT COUNT(*), COUNT(*) - COUNT("id"), COALESCE(TOTAL("id"), 0), MIN("id"), MAX("id"), COUNT(*) - COUNT("uid"), COALESCE(SUM(length("uid")), 0), SUM(CASE WHEN "uid" IS NOT NULL AND NOT ("uid" REGEXP '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$') THEN 1 ELSE 0 END), COUNT(*) - COUNT("email"), COALESCE(SUM(length("email")), 0), SUM(CASE WHEN "email" IS NOT NULL AND NOT ("email" REGEXP '^[^@\s]+@[^@\s]+\.[^@\s]+$') THEN 1 ELSE 0 END), COUNT(*) - COUNT("full_name"), COALESCE(SUM(length("full_name")), 0), COUNT(*) - COUNT("company"), COALESCE(SUM(length("company")), 0), COUNT(*) - COUNT("country"), COALESCE(SUM(length("country")), 0), SUM(CASE WHEN "country" NOT IN ('BR', 'DE', 'FR', 'GB', 'IN', 'JP', 'US') THEN 1 ELSE 0 END), COUNT(*) - COUNT("created_at"), CAST(strftime('%s', MIN("created_at")) AS INTEGER), CAST(strftime('%s', MAX("created_at")) AS INTEGER), COUNT(*) - COUNT("is_active"), COALESCE(SUM(CASE WHEN "is_active" THEN 1 ELSE 0 END), 0), COUNT(*) - COUNT("lifetime_value"), COALESCE(SUM("lifetime_value"), 0), MIN("lifetime_value"), MAX("lifetime_value"), COUNT(*) - COUNT("preferences"), COALESCE(SUM(length("preferences")), 0), COUNT(*) - COUNT("last_login_ip"), COALESCE(SUM(length("last_login_ip")), 0) FROM "customers";

-- specgen-check: {"expected": 0, "kind": "unique", "name": "unique customers(id) [primary key]", "table": "customers"}
-- specgen-sql: "SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('customers') WHERE pk > 0) = 1 AND (SELECT COUNT(*) FROM pragma_table_info('customers') WHERE pk > 0 AND name IN ('id')) = 1 OR EXISTS (SELECT 1 FROM pragma_index_list('customers') il WHERE il.\"unique\" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('id')) = 1)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT \"id\" FROM \"customers\" WHERE \"id\" IS NOT NULL GROUP BY \"id\" HAVING COUNT(*) > 1) d) END;"
SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('customers') WHERE pk > 0) = 1 AND (SELECT COUNT(*) FROM pragma_table_info('customers') WHERE pk > 0 AND name IN ('id')) = 1 OR EXISTS (SELECT 1 FROM pragma_index_list('customers') il WHERE il."unique" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('id')) = 1)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT "id" FROM "customers" WHERE "id" IS NOT NULL GROUP BY "id" HAVING COUNT(*) > 1) d) END;

-- specgen-check: {"expected": 0, "kind": "unique", "name": "unique customers(uid) [unique]", "table": "customers"}
-- specgen-sql: "SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('customers') WHERE pk > 0) = 1 AND (SELECT COUNT(*) FROM pragma_table_info('customers') WHERE pk > 0 AND name IN ('uid')) = 1 OR EXISTS (SELECT 1 FROM pragma_index_list('customers') il WHERE il.\"unique\" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('uid')) = 1)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT \"uid\" FROM \"customers\" WHERE \"uid\" IS NOT NULL GROUP BY \"uid\" HAVING COUNT(*) > 1) d) END;"
SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('customers') WHERE pk > 0) = 1 AND (SELECT COUNT(*) FROM pragma_table_info('customers') WHERE pk > 0 AND name IN ('uid')) = 1 OR EXISTS (SELECT 1 FROM pragma_index_list('customers') il WHERE il."unique" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('uid')) = 1)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT "uid" FROM "customers" WHERE "uid" IS NOT NULL GROUP BY "uid" HAVING COUNT(*) > 1) d) END;

-- specgen-check: {"expected": 0, "kind": "unique", "name": "unique customers(email) [unique]", "table": "customers"}
-- specgen-sql: "SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('customers') WHERE pk > 0) = 1 AND (SELECT COUNT(*) FROM pragma_table_info('customers') WHERE pk > 0 AND name IN ('email')) = 1 OR EXISTS (SELECT 1 FROM pragma_index_list('customers') il WHERE il.\"unique\" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('email')) = 1)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT \"email\" FROM \"customers\" WHERE \"email\" IS NOT NULL GROUP BY \"email\" HAVING COUNT(*) > 1) d) END;"
SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('customers') WHERE pk > 0) = 1 AND (SELECT COUNT(*) FROM pragma_table_info('customers') WHERE pk > 0 AND name IN ('email')) = 1 OR EXISTS (SELECT 1 FROM pragma_index_list('customers') il WHERE il."unique" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('email')) = 1)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT "email" FROM "customers" WHERE "email" IS NOT NULL GROUP BY "email" HAVING COUNT(*) > 1) d) END;

-- specgen-check: {"expected": 193, "kind": "rows", "name": "rows orders", "table": "orders"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls orders.id", "table": "orders"}
-- specgen-check: {"expected": 6176, "kind": "sum_length", "name": "sum_length orders.id", "table": "orders"}
-- specgen-check: {"expected": 0, "kind": "format", "name": "format orders.id", "table": "orders"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls orders.customer_id", "table": "orders"}
-- specgen-check: {"expected": 3252, "kind": "sum", "name": "sum orders.customer_id", "table": "orders", "tolerance": 1e-12}
-- specgen-check: {"expected": 3, "kind": "min", "name": "min orders.customer_id", "table": "orders"}
-- specgen-check: {"expected": 40, "kind": "max", "name": "max orders.customer_id", "table": "orders"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls orders.number", "table": "orders"}
-- specgen-check: {"expected": 5673, "kind": "sum", "name": "sum orders.number", "table": "orders", "tolerance": 1e-12}
-- specgen-check: {"expected": 1, "kind": "min", "name": "min orders.number", "table": "orders"}
-- specgen-check: {"expected": 102, "kind": "max", "name": "max orders.number", "table": "orders"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls orders.status", "table": "orders"}
-- specgen-check: {"expected": 1511, "kind": "sum_length", "name": "sum_length orders.status", "table": "orders"}
-- specgen-check: {"expected": 0, "kind": "enum", "name": "enum orders.status", "table": "orders"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls orders.created_at", "table": "orders"}
-- specgen-check: {"expected": 1744496312, "kind": "min", "name": "min orders.created_at", "table": "orders"}
-- specgen-check: {"expected": 1767220359, "kind": "max", "name": "max orders.created_at", "table": "orders"}
-- specgen-check: {"expected": 44, "kind": "nulls", "name": "nulls orders.shipped_at", "table": "orders"}
-- specgen-check: {"expected": 1748241953, "kind": "min", "name": "min orders.shipped_at", "table": "orders"}
-- specgen-check: {"expected": 1767479536, "kind": "max", "name": "max orders.shipped_at", "table": "orders"}
-- specgen-sql: "SELECT COUNT(*), COUNT(*) - COUNT(\"id\"), COALESCE(SUM(length(\"id\")), 0), SUM(CASE WHEN \"id\" IS NOT NULL AND NOT (\"id\" REGEXP '^[0-9a-f]{32}$') THEN 1 ELSE 0 END), COUNT(*) - COUNT(\"customer_id\"), COALESCE(TOTAL(\"customer_id\"), 0), MIN(\"customer_id\"), MAX(\"customer_id\"), COUNT(*) - COUNT(\"number\"), COALESCE(TOTAL(\"number\"), 0), MIN(\"number\"), MAX(\"number\"), COUNT(*) - COUNT(\"status\"), COALESCE(SUM(length(\"status\")), 0), SUM(CASE WHEN \"status\" NOT IN ('cancelled', 'delivered', 'new', 'paid', 'shipped') THEN 1 ELSE 0 END), COUNT(*) - COUNT(\"created_at\"), CAST(strftime('%s', MIN(\"created_at\")) AS INTEGER), CAST(strftime('%s', MAX(\"created_at\")) AS INTEGER), COUNT(*) - COUNT(\"shipped_at\"), CAST(strftime('%s', MIN(\"shipped_at\")) AS INTEGER), CAST(strftime('%s', MAX(\"shipped_at\")) AS INTEGER) FROM \"orders\";"
SELECT COUNT(*), COUNT(*) - COUNT("id"), COALESCE(SUM(length("id")), 0), SUM(CASE WHEN "id" IS NOT NULL AND NOT ("id" REGEXP '^[0-9a-f]{32}$') THEN 1 ELSE 0 END), COUNT(*) - COUNT("customer_id"), COALESCE(TOTAL("customer_id"), 0), MIN("customer_id"), MAX("customer_id"), COUNT(*) - COUNT("number"), COALESCE(TOTAL("number"), 0), MIN("number"), MAX("number"), COUNT(*) - COUNT("status"), COALESCE(SUM(length("status")), 0), SUM(CASE WHEN "status" NOT IN ('cancelled', 'delivered', 'new', 'paid', 'shipped') THEN 1 ELSE 0 END), COUNT(*) - COUNT("created_at"), CAST(strftime('%s', MIN("created_at")) AS INTEGER), CAST(strftime('%s', MAX("created_at")) AS INTEGER), COUNT(*) - COUNT("shipped_at"), CAST(strftime('%s', MIN("shipped_at")) AS INTEGER), CAST(strftime('%s', MAX("shipped_at")) AS INTEGER) FROM "orders";

-- specgen-check: {"expected": 0, "kind": "unique", "name": "unique orders(id) [primary key]", "table": "orders"}
-- specgen-sql: "SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('orders') WHERE pk > 0) = 1 AND (SELECT COUNT(*) FROM pragma_table_info('orders') WHERE pk > 0 AND name IN ('id')) = 1 OR EXISTS (SELECT 1 FROM pragma_index_list('orders') il WHERE il.\"unique\" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('id')) = 1)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT \"id\" FROM \"orders\" WHERE \"id\" IS NOT NULL GROUP BY \"id\" HAVING COUNT(*) > 1) d) END;"
SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('orders') WHERE pk > 0) = 1 AND (SELECT COUNT(*) FROM pragma_table_info('orders') WHERE pk > 0 AND name IN ('id')) = 1 OR EXISTS (SELECT 1 FROM pragma_index_list('orders') il WHERE il."unique" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('id')) = 1)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT "id" FROM "orders" WHERE "id" IS NOT NULL GROUP BY "id" HAVING COUNT(*) > 1) d) END;

-- specgen-check: {"expected": 0, "kind": "unique", "name": "unique orders(customer_id, number) [unique]", "table": "orders"}
-- specgen-sql: "SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('orders') WHERE pk > 0) = 2 AND (SELECT COUNT(*) FROM pragma_table_info('orders') WHERE pk > 0 AND name IN ('customer_id', 'number')) = 2 OR EXISTS (SELECT 1 FROM pragma_index_list('orders') il WHERE il.\"unique\" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 2 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('customer_id', 'number')) = 2)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT \"customer_id\", \"number\" FROM \"orders\" WHERE \"customer_id\" IS NOT NULL AND \"number\" IS NOT NULL GROUP BY \"customer_id\", \"number\" HAVING COUNT(*) > 1) d) END;"
SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('orders') WHERE pk > 0) = 2 AND (SELECT COUNT(*) FROM pragma_table_info('orders') WHERE pk > 0 AND name IN ('customer_id', 'number')) = 2 OR EXISTS (SELECT 1 FROM pragma_index_list('orders') il WHERE il."unique" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 2 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('customer_id', 'number')) = 2)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT "customer_id", "number" FROM "orders" WHERE "customer_id" IS NOT NULL AND "number" IS NOT NULL GROUP BY "customer_id", "number" HAVING COUNT(*) > 1) d) END;

-- specgen-check: {"expected": 0, "kind": "fk", "name": "fk orders.customer_id -> customers.id", "table": "orders"}
-- specgen-check: {"expected": 0, "kind": "not_before", "name": "not_before orders.created_at >= customers.created_at", "table": "orders"}
-- specgen-sql: "SELECT COALESCE(SUM(CASE WHEN p.\"id\" IS NULL THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN c.\"created_at\" < p.\"created_at\" THEN 1 ELSE 0 END), 0) FROM \"orders\" c LEFT JOIN \"customers\" p ON p.\"id\" = c.\"customer_id\" WHERE c.\"customer_id\" IS NOT NULL;"
SELECT COALESCE(SUM(CASE WHEN p."id" IS NULL THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN c."created_at" < p."created_at" THEN 1 ELSE 0 END), 0) FROM "orders" c LEFT JOIN "customers" p ON p."id" = c."customer_id" WHERE c."customer_id" IS NOT NULL;

-- specgen-check: {"expected": 25, "kind": "rows", "name": "rows products", "table": "products"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls products.id", "table": "products"}
-- specgen-check: {"expected": 325, "kind": "sum", "name": "sum products.id", "table": "products", "tolerance": 1e-12}
-- specgen-check: {"expected": 1, "kind": "min", "name": "min products.id", "table": "products"}
-- specgen-check: {"expected": 25, "kind": "max", "name": "max products.id", "table": "products"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls products.sku", "table": "products"}
-- specgen-check: {"expected": 400, "kind": "sum_length", "name": "sum_length products.sku", "table": "products"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls products.name", "table": "products"}
-- specgen-check: {"expected": 266, "kind": "sum_length", "name": "sum_length products.name", "table": "products"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls products.category", "table": "products"}
-- specgen-check: {"expected": 124, "kind": "sum_length", "name": "sum_length products.category", "table": "products"}
-- specgen-check: {"expected": 0, "kind": "enum", "name": "enum products.category", "table": "products"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls products.price", "table": "products"}
-- specgen-check: {"expected": 1012.69, "kind": "sum", "name": "sum products.price", "table": "products", "tolerance": 1e-09}
-- specgen-check: {"expected": 7.57, "kind": "min", "name": "min products.price", "table": "products", "tolerance": 1e-12}
-- specgen-check: {"expected": 167.6, "kind": "max", "name": "max products.price", "table": "products", "tolerance": 1e-12}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls products.stock", "table": "products"}
-- specgen-check: {"expected": 12666, "kind": "sum", "name": "sum products.stock", "table": "products", "tolerance": 1e-12}
-- specgen-check: {"expected": 0, "kind": "min", "name": "min products.stock", "table": "products"}
-- specgen-check: {"expected": 6228, "kind": "max", "name": "max products.stock", "table": "products"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls products.tags", "table": "products"}
-- specgen-check: {"expected": 445, "kind": "sum_length", "name": "sum_length products.tags", "table": "products"}
-- specgen-check: {"expected": 3, "kind": "nulls", "name": "nulls products.description", "table": "products"}
-- specgen-check: {"expected": 2030, "kind": "sum_length", "name": "sum_length products.description", "table": "products"}
-- specgen-sql: "SELECT COUNT(*), COUNT(*) - COUNT(\"id\"), COALESCE(TOTAL(\"id\"), 0), MIN(\"id\"), MAX(\"id\"), COUNT(*) - COUNT(\"sku\"), COALESCE(SUM(length(\"sku\")), 0), COUNT(*) - COUNT(\"name\"), COALESCE(SUM(length(\"name\")), 0), COUNT(*) - COUNT(\"category\"), COALESCE(SUM(length(\"category\")), 0), SUM(CASE WHEN \"category\" NOT IN ('books', 'garden', 'music', 'tools', 'toys') THEN 1 ELSE 0 END), COUNT(*) - COUNT(\"price\"), COALESCE(SUM(\"price\"), 0), MIN(\"price\"), MAX(\"price\"), COUNT(*) - COUNT(\"stock\"), COALESCE(TOTAL(\"stock\"), 0), MIN(\"stock\"), MAX(\"stock\"), COUNT(*) - COUNT(\"tags\"), COALESCE(SUM(length(\"tags\")), 0), COUNT(*) - COUNT(\"description\"), COALESCE(SUM(length(\"description\")), 0) FROM \"products\";"
SELECT COUNT(*), COUNT(*) - COUNT("id"), COALESCE(TOTAL("id"), 0), MIN("id"), MAX("id"), COUNT(*) - COUNT("sku"), COALESCE(SUM(length("sku")), 0), COUNT(*) - COUNT("name"), COALESCE(SUM(length("name")), 0), COUNT(*) - COUNT("category"), COALESCE(SUM(length("category")), 0), SUM(CASE WHEN "category" NOT IN ('books', 'garden', 'music', 'tools', 'toys') THEN 1 ELSE 0 END), COUNT(*) - COUNT("price"), COALESCE(SUM("price"), 0), MIN("price"), MAX("price"), COUNT(*) - COUNT("stock"), COALESCE(TOTAL("stock"), 0), MIN("stock"), MAX("stock"), COUNT(*) - COUNT("tags"), COALESCE(SUM(length("tags")), 0), COUNT(*) - COUNT("description"), COALESCE(SUM(length("description")), 0) FROM "products";

-- specgen-check: {"expected": 0, "kind": "unique", "name": "unique products(id) [primary key]", "table": "products"}
-- specgen-sql: "SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('products') WHERE pk > 0) = 1 AND (SELECT COUNT(*) FROM pragma_table_info('products') WHERE pk > 0 AND name IN ('id')) = 1 OR EXISTS (SELECT 1 FROM pragma_index_list('products') il WHERE il.\"unique\" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('id')) = 1)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT \"id\" FROM \"products\" WHERE \"id\" IS NOT NULL GROUP BY \"id\" HAVING COUNT(*) > 1) d) END;"
SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('products') WHERE pk > 0) = 1 AND (SELECT COUNT(*) FROM pragma_table_info('products') WHERE pk > 0 AND name IN ('id')) = 1 OR EXISTS (SELECT 1 FROM pragma_index_list('products') il WHERE il."unique" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('id')) = 1)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT "id" FROM "products" WHERE "id" IS NOT NULL GROUP BY "id" HAVING COUNT(*) > 1) d) END;

-- specgen-check: {"expected": 0, "kind": "unique", "name": "unique products(sku) [unique]", "table": "products"}
-- specgen-sql: "SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('products') WHERE pk > 0) = 1 AND (SELECT COUNT(*) FROM pragma_table_info('products') WHERE pk > 0 AND name IN ('sku')) = 1 OR EXISTS (SELECT 1 FROM pragma_index_list('products') il WHERE il.\"unique\" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('sku')) = 1)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT \"sku\" FROM \"products\" WHERE \"sku\" IS NOT NULL GROUP BY \"sku\" HAVING COUNT(*) > 1) d) END;"
SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('products') WHERE pk > 0) = 1 AND (SELECT COUNT(*) FROM pragma_table_info('products') WHERE pk > 0 AND name IN ('sku')) = 1 OR EXISTS (SELECT 1 FROM pragma_index_list('products') il WHERE il."unique" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('sku')) = 1)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT "sku" FROM "products" WHERE "sku" IS NOT NULL GROUP BY "sku" HAVING COUNT(*) > 1) d) END;

-- specgen-check: {"expected": 490, "kind": "rows", "name": "rows order_items", "table": "order_items"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls order_items.order_id", "table": "order_items"}
-- specgen-check: {"expected": 15680, "kind": "sum_length", "name": "sum_length order_items.order_id", "table": "order_items"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls order_items.product_id", "table": "order_items"}
-- specgen-check: {"expected": 4743, "kind": "sum", "name": "sum order_items.product_id", "table": "order_items", "tolerance": 1e-12}
-- specgen-check: {"expected": 1, "kind": "min", "name": "min order_items.product_id", "table": "order_items"}
-- specgen-check: {"expected": 25, "kind": "max", "name": "max order_items.product_id", "table": "order_items"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls order_items.quantity", "table": "order_items"}
-- specgen-check: {"expected": 1192, "kind": "sum", "name": "sum order_items.quantity", "table": "order_items", "tolerance": 1e-12}
-- specgen-check: {"expected": 1, "kind": "min", "name": "min order_items.quantity", "table": "order_items"}
-- specgen-check: {"expected": 12, "kind": "max", "name": "max order_items.quantity", "table": "order_items"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls order_items.unit_price", "table": "order_items"}
-- specgen-check: {"expected": 18349.6, "kind": "sum", "name": "sum order_items.unit_price", "table": "order_items", "tolerance": 1e-09}
-- specgen-check: {"expected": 7.57, "kind": "min", "name": "min order_items.unit_price", "table": "order_items", "tolerance": 1e-12}
-- specgen-check: {"expected": 167.6, "kind": "max", "name": "max order_items.unit_price", "table": "order_items", "tolerance": 1e-12}
-- specgen-sql: "SELECT COUNT(*), COUNT(*) - COUNT(\"order_id\"), COALESCE(SUM(length(\"order_id\")), 0), COUNT(*) - COUNT(\"product_id\"), COALESCE(TOTAL(\"product_id\"), 0), MIN(\"product_id\"), MAX(\"product_id\"), COUNT(*) - COUNT(\"quantity\"), COALESCE(TOTAL(\"quantity\"), 0), MIN(\"quantity\"), MAX(\"quantity\"), COUNT(*) - COUNT(\"unit_price\"), COALESCE(SUM(\"unit_price\"), 0), MIN(\"unit_price\"), MAX(\"unit_price\") FROM \"order_items\";"
SELECT COUNT(*), COUNT(*) - COUNT("order_id"), COALESCE(SUM(length("order_id")), 0), COUNT(*) - COUNT("product_id"), COALESCE(TOTAL("product_id"), 0), MIN("product_id"), MAX("product_id"), COUNT(*) - COUNT("quantity"), COALESCE(TOTAL("quantity"), 0), MIN("quantity"), MAX("quantity"), COUNT(*) - COUNT("unit_price"), COALESCE(SUM("unit_price"), 0), MIN("unit_price"), MAX("unit_price") FROM "order_items";

-- specgen-check: {"expected": 0, "kind": "unique", "name": "unique order_items(order_id, product_id) [primary key]", "table": "order_items"}
-- specgen-sql: "SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('order_items') WHERE pk > 0) = 2 AND (SELECT COUNT(*) FROM pragma_table_info('order_items') WHERE pk > 0 AND name IN ('order_id', 'product_id')) = 2 OR EXISTS (SELECT 1 FROM pragma_index_list('order_items') il WHERE il.\"unique\" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 2 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('order_id', 'product_id')) = 2)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT \"order_id\", \"product_id\" FROM \"order_items\" WHERE \"order_id\" IS NOT NULL AND \"product_id\" IS NOT NULL GROUP BY \"order_id\", \"product_id\" HAVING COUNT(*) > 1) d) END;"
SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('order_items') WHERE pk > 0) = 2 AND (SELECT COUNT(*) FROM pragma_table_info('order_items') WHERE pk > 0 AND name IN ('order_id', 'product_id')) = 2 OR EXISTS (SELECT 1 FROM pragma_index_list('order_items') il WHERE il."unique" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 2 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('order_id', 'product_id')) = 2)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT "order_id", "product_id" FROM "order_items" WHERE "order_id" IS NOT NULL AND "product_id" IS NOT NULL GROUP BY "order_id", "product_id" HAVING COUNT(*) > 1) d) END;

-- specgen-check: {"expected": 0, "kind": "fk", "name": "fk order_items.order_id -> orders.id", "table": "order_items"}
-- specgen-sql: "SELECT COALESCE(SUM(CASE WHEN p.\"id\" IS NULL THEN 1 ELSE 0 END), 0) FROM \"order_items\" c LEFT JOIN \"orders\" p ON p.\"id\" = c.\"order_id\" WHERE c.\"order_id\" IS NOT NULL;"
SELECT COALESCE(SUM(CASE WHEN p."id" IS NULL THEN 1 ELSE 0 END), 0) FROM "order_items" c LEFT JOIN "orders" p ON p."id" = c."order_id" WHERE c."order_id" IS NOT NULL;

-- specgen-check: {"expected": 0, "kind": "fk", "name": "fk order_items.product_id -> products.id", "table": "order_items"}
-- specgen-sql: "SELECT COALESCE(SUM(CASE WHEN p.\"id\" IS NULL THEN 1 ELSE 0 END), 0) FROM \"order_items\" c LEFT JOIN \"products\" p ON p.\"id\" = c.\"product_id\" WHERE c.\"product_id\" IS NOT NULL;"
SELECT COALESCE(SUM(CASE WHEN p."id" IS NULL THEN 1 ELSE 0 END), 0) FROM "order_items" c LEFT JOIN "products" p ON p."id" = c."product_id" WHERE c."product_id" IS NOT NULL;

-- specgen-check: {"expected": 452, "kind": "rows", "name": "rows page_views", "table": "page_views"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls page_views.id", "table": "page_views"}
-- specgen-check: {"expected": 102378, "kind": "sum", "name": "sum page_views.id", "table": "page_views", "tolerance": 1e-12}
-- specgen-check: {"expected": 1, "kind": "min", "name": "min page_views.id", "table": "page_views"}
-- specgen-check: {"expected": 452, "kind": "max", "name": "max page_views.id", "table": "page_views"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls page_views.customer_id", "table": "page_views"}
-- specgen-check: {"expected": 8696, "kind": "sum", "name": "sum page_views.customer_id", "table": "page_views", "tolerance": 1e-12}
-- specgen-check: {"expected": 1, "kind": "min", "name": "min page_views.customer_id", "table": "page_views"}
-- specgen-check: {"expected": 40, "kind": "max", "name": "max page_views.customer_id", "table": "page_views"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls page_views.viewed_at", "table": "page_views"}
-- specgen-check: {"expected": 1757296961, "kind": "min", "name": "min page_views.viewed_at", "table": "page_views"}
-- specgen-check: {"expected": 1767224273, "kind": "max", "name": "max page_views.viewed_at", "table": "page_views"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls page_views.duration_ms", "table": "page_views"}
-- specgen-check: {"expected": 414170, "kind": "sum", "name": "sum page_views.duration_ms", "table": "page_views", "tolerance": 1e-12}
-- specgen-check: {"expected": 1, "kind": "min", "name": "min page_views.duration_ms", "table": "page_views"}
-- specgen-check: {"expected": 5451, "kind": "max", "name": "max page_views.duration_ms", "table": "page_views"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls page_views.converted", "table": "page_views"}
-- specgen-check: {"expected": 18, "kind": "sum", "name": "sum page_views.converted", "table": "page_views"}
-- specgen-sql: "SELECT COUNT(*), COUNT(*) - COUNT(\"id\"), COALESCE(TOTAL(\"id\"), 0), MIN(\"id\"), MAX(\"id\"), COUNT(*) - COUNT(\"customer_id\"), COALESCE(TOTAL(\"customer_id\"), 0), MIN(\"customer_id\"), MAX(\"customer_id\"), COUNT(*) - COUNT(\"viewed_at\"), CAST(strftime('%s', MIN(\"viewed_at\")) AS INTEGER), CAST(strftime('%s', MAX(\"viewed_at\")) AS INTEGER), COUNT(*) - COUNT(\"duration_ms\"), COALESCE(TOTAL(\"duration_ms\"), 0), MIN(\"duration_ms\"), MAX(\"duration_ms\"), COUNT(*) - COUNT(\"converted\"), COALESCE(SUM(CASE WHEN \"converted\" THEN 1 ELSE 0 END), 0) FROM \"page_views\";"
SELECT COUNT(*), COUNT(*) - COUNT("id"), COALESCE(TOTAL("id"), 0), MIN("id"), MAX("id"), COUNT(*) - COUNT("customer_id"), COALESCE(TOTAL("customer_id"), 0), MIN("customer_id"), MAX("customer_id"), COUNT(*) - COUNT("viewed_at"), CAST(strftime('%s', MIN("viewed_at")) AS INTEGER), CAST(strftime('%s', MAX("viewed_at")) AS INTEGER), COUNT(*) - COUNT("duration_ms"), COALESCE(TOTAL("duration_ms"), 0), MIN("duration_ms"), MAX("duration_ms"), COUNT(*) - COUNT("converted"), COALESCE(SUM(CASE WHEN "converted" THEN 1 ELSE 0 END), 0) FROM "page_views";

-- specgen-check: {"expected": 0, "kind": "unique", "name": "unique page_views(id) [primary key]", "table": "page_views"}
-- specgen-sql: "SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('page_views') WHERE pk > 0) = 1 AND (SELECT COUNT(*) FROM pragma_table_info('page_views') WHERE pk > 0 AND name IN ('id')) = 1 OR EXISTS (SELECT 1 FROM pragma_index_list('page_views') il WHERE il.\"unique\" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('id')) = 1)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT \"id\" FROM \"page_views\" WHERE \"id\" IS NOT NULL GROUP BY \"id\" HAVING COUNT(*) > 1) d) END;"
SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('page_views') WHERE pk > 0) = 1 AND (SELECT COUNT(*) FROM pragma_table_info('page_views') WHERE pk > 0 AND name IN ('id')) = 1 OR EXISTS (SELECT 1 FROM pragma_index_list('page_views') il WHERE il."unique" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('id')) = 1)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT "id" FROM "page_views" WHERE "id" IS NOT NULL GROUP BY "id" HAVING COUNT(*) > 1) d) END;

-- specgen-check: {"expected": 0, "kind": "fk", "name": "fk page_views.customer_id -> customers.id", "table": "page_views"}
-- specgen-check: {"expected": 0, "kind": "not_before", "name": "not_before page_views.viewed_at >= customers.created_at", "table": "page_views"}
-- specgen-sql: "SELECT COALESCE(SUM(CASE WHEN p.\"id\" IS NULL THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN c.\"viewed_at\" < p.\"created_at\" THEN 1 ELSE 0 END), 0) FROM \"page_views\" c LEFT JOIN \"customers\" p ON p.\"id\" = c.\"customer_id\" WHERE c.\"customer_id\" IS NOT NULL;"
SELECT COALESCE(SUM(CASE WHEN p."id" IS NULL THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN c."viewed_at" < p."created_at" THEN 1 ELSE 0 END), 0) FROM "page_views" c LEFT JOIN "customers" p ON p."id" = c."customer_id" WHERE c."customer_id" IS NOT NULL;

-- specgen-check: {"expected": 82, "kind": "rows", "name": "rows reviews", "table": "reviews"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls reviews.id", "table": "reviews"}
-- specgen-check: {"expected": 3403, "kind": "sum", "name": "sum reviews.id", "table": "reviews", "tolerance": 1e-12}
-- specgen-check: {"expected": 1, "kind": "min", "name": "min reviews.id", "table": "reviews"}
-- specgen-check: {"expected": 82, "kind": "max", "name": "max reviews.id", "table": "reviews"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls reviews.order_id", "table": "reviews"}
-- specgen-check: {"expected": 2624, "kind": "sum_length", "name": "sum_length reviews.order_id", "table": "reviews"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls reviews.product_id", "table": "reviews"}
-- specgen-check: {"expected": 782, "kind": "sum", "name": "sum reviews.product_id", "table": "reviews", "tolerance": 1e-12}
-- specgen-check: {"expected": 1, "kind": "min", "name": "min reviews.product_id", "table": "reviews"}
-- specgen-check: {"expected": 25, "kind": "max", "name": "max reviews.product_id", "table": "reviews"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls reviews.customer_id", "table": "reviews"}
-- specgen-check: {"expected": 1413, "kind": "sum", "name": "sum reviews.customer_id", "table": "reviews", "tolerance": 1e-12}
-- specgen-check: {"expected": 3, "kind": "min", "name": "min reviews.customer_id", "table": "reviews"}
-- specgen-check: {"expected": 40, "kind": "max", "name": "max reviews.customer_id", "table": "reviews"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls reviews.rating", "table": "reviews"}
-- specgen-check: {"expected": 356, "kind": "sum", "name": "sum reviews.rating", "table": "reviews", "tolerance": 1e-12}
-- specgen-check: {"expected": 1, "kind": "min", "name": "min reviews.rating", "table": "reviews"}
-- specgen-check: {"expected": 5, "kind": "max", "name": "max reviews.rating", "table": "reviews"}
-- specgen-check: {"expected": 0, "kind": "enum", "name": "enum reviews.rating", "table": "reviews"}
-- specgen-check: {"expected": 36, "kind": "nulls", "name": "nulls reviews.body", "table": "reviews"}
-- specgen-check: {"expected": 1524, "kind": "sum_length", "name": "sum_length reviews.body", "table": "reviews"}
-- specgen-check: {"expected": 0, "kind": "nulls", "name": "nulls reviews.created_at", "table": "reviews"}
-- specgen-check: {"expected": 1759131204, "kind": "min", "name": "min reviews.created_at", "table": "reviews"}
-- specgen-check: {"expected": 1767224578, "kind": "max", "name": "max reviews.created_at", "table": "reviews"}
-- specgen-sql: "SELECT COUNT(*), COUNT(*) - COUNT(\"id\"), COALESCE(TOTAL(\"id\"), 0), MIN(\"id\"), MAX(\"id\"), COUNT(*) - COUNT(\"order_id\"), COALESCE(SUM(length(\"order_id\")), 0), COUNT(*) - COUNT(\"product_id\"), COALESCE(TOTAL(\"product_id\"), 0), MIN(\"product_id\"), MAX(\"product_id\"), COUNT(*) - COUNT(\"customer_id\"), COALESCE(TOTAL(\"customer_id\"), 0), MIN(\"customer_id\"), MAX(\"customer_id\"), COUNT(*) - COUNT(\"rating\"), COALESCE(TOTAL(\"rating\"), 0), MIN(\"rating\"), MAX(\"rating\"), SUM(CASE WHEN \"rating\" NOT IN (1, 2, 3, 4, 5) THEN 1 ELSE 0 END), COUNT(*) - COUNT(\"body\"), COALESCE(SUM(length(\"body\")), 0), COUNT(*) - COUNT(\"created_at\"), CAST(strftime('%s', MIN(\"created_at\")) AS INTEGER), CAST(strftime('%s', MAX(\"created_at\")) AS INTEGER) FROM \"reviews\";"
SELECT COUNT(*), COUNT(*) - COUNT("id"), COALESCE(TOTAL("id"), 0), MIN("id"), MAX("id"), COUNT(*) - COUNT("order_id"), COALESCE(SUM(length("order_id")), 0), COUNT(*) - COUNT("product_id"), COALESCE(TOTAL("product_id"), 0), MIN("product_id"), MAX("product_id"), COUNT(*) - COUNT("customer_id"), COALESCE(TOTAL("customer_id"), 0), MIN("customer_id"), MAX("customer_id"), COUNT(*) - COUNT("rating"), COALESCE(TOTAL("rating"), 0), MIN("rating"), MAX("rating"), SUM(CASE WHEN "rating" NOT IN (1, 2, 3, 4, 5) THEN 1 ELSE 0 END), COUNT(*) - COUNT("body"), COALESCE(SUM(length("body")), 0), COUNT(*) - COUNT("created_at"), CAST(strftime('%s', MIN("created_at")) AS INTEGER), CAST(strftime('%s', MAX("created_at")) AS INTEGER) FROM "reviews";

-- specgen-check: {"expected": 0, "kind": "unique", "name": "unique reviews(id) [primary key]", "table": "reviews"}
-- specgen-sql: "SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('reviews') WHERE pk > 0) = 1 AND (SELECT COUNT(*) FROM pragma_table_info('reviews') WHERE pk > 0 AND name IN ('id')) = 1 OR EXISTS (SELECT 1 FROM pragma_index_list('reviews') il WHERE il.\"unique\" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('id')) = 1)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT \"id\" FROM \"reviews\" WHERE \"id\" IS NOT NULL GROUP BY \"id\" HAVING COUNT(*) > 1) d) END;"
SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('reviews') WHERE pk > 0) = 1 AND (SELECT COUNT(*) FROM pragma_table_info('reviews') WHERE pk > 0 AND name IN ('id')) = 1 OR EXISTS (SELECT 1 FROM pragma_index_list('reviews') il WHERE il."unique" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 1 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('id')) = 1)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT "id" FROM "reviews" WHERE "id" IS NOT NULL GROUP BY "id" HAVING COUNT(*) > 1) d) END;

-- specgen-check: {"expected": 0, "kind": "unique", "name": "unique reviews(order_id, product_id) [unique]", "table": "reviews"}
-- specgen-sql: "SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('reviews') WHERE pk > 0) = 2 AND (SELECT COUNT(*) FROM pragma_table_info('reviews') WHERE pk > 0 AND name IN ('order_id', 'product_id')) = 2 OR EXISTS (SELECT 1 FROM pragma_index_list('reviews') il WHERE il.\"unique\" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 2 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('order_id', 'product_id')) = 2)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT \"order_id\", \"product_id\" FROM \"reviews\" WHERE \"order_id\" IS NOT NULL AND \"product_id\" IS NOT NULL GROUP BY \"order_id\", \"product_id\" HAVING COUNT(*) > 1) d) END;"
SELECT CASE WHEN ((SELECT COUNT(*) FROM pragma_table_info('reviews') WHERE pk > 0) = 2 AND (SELECT COUNT(*) FROM pragma_table_info('reviews') WHERE pk > 0 AND name IN ('order_id', 'product_id')) = 2 OR EXISTS (SELECT 1 FROM pragma_index_list('reviews') il WHERE il."unique" = 1 AND il.partial = 0 AND (SELECT COUNT(*) FROM pragma_index_info(il.name)) = 2 AND (SELECT COUNT(*) FROM pragma_index_info(il.name) ii WHERE ii.name IN ('order_id', 'product_id')) = 2)) THEN 0 ELSE (SELECT COUNT(*) FROM (SELECT "order_id", "product_id" FROM "reviews" WHERE "order_id" IS NOT NULL AND "product_id" IS NOT NULL GROUP BY "order_id", "product_id" HAVING COUNT(*) > 1) d) END;

-- specgen-check: {"expected": 0, "kind": "fk", "name": "fk reviews.product_id -> products.id", "table": "reviews"}
-- specgen-sql: "SELECT COALESCE(SUM(CASE WHEN p.\"id\" IS NULL THEN 1 ELSE 0 END), 0) FROM \"reviews\" c LEFT JOIN \"products\" p ON p.\"id\" = c.\"product_id\" WHERE c.\"product_id\" IS NOT NULL;"
SELECT COALESCE(SUM(CASE WHEN p."id" IS NULL THEN 1 ELSE 0 END), 0) FROM "reviews" c LEFT JOIN "products" p ON p."id" = c."product_id" WHERE c."product_id" IS NOT NULL;

-- specgen-check: {"expected": 0, "kind": "fk", "name": "fk reviews.customer_id -> customers.id", "table": "reviews"}
-- specgen-sql: "SELECT COALESCE(SUM(CASE WHEN p.\"id\" IS NULL THEN 1 ELSE 0 END), 0) FROM \"reviews\" c LEFT JOIN \"customers\" p ON p.\"id\" = c.\"customer_id\" WHERE c.\"customer_id\" IS NOT NULL;"
SELECT COALESCE(SUM(CASE WHEN p."id" IS NULL THEN 1 ELSE 0 END), 0) FROM "reviews" c LEFT JOIN "customers" p ON p."id" = c."customer_id" WHERE c."customer_id" IS NOT NULL;
