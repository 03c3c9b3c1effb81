//! A click run as the clicker's group, through the group's own account on
//! the target where it has one (grants, row-level security): views over a
//! hidden column followed, and what SQLite or PostgreSQL computes or orders
//! from a hidden column (each found by an attack) judged as the column.

use super::*;

/// A PostgreSQL target whose clients two groups read through accounts of
/// their own: north's has row-level security to its region, sales' a
/// column grant without the IBAN; the target's own account reads all.
struct Accounts {
    db: crate::support::TestDb,
    roles: Vec<String>,
}

impl Accounts {
    async fn new() -> Self {
        let db = crate::support::TestDb::postgres().await;
        let pstral_core::store::DatabaseUrl::Postgres(admin) = &db.settings.url else {
            unreachable!()
        };
        let base = admin.path().trim_start_matches('/').to_owned();
        let roles: Vec<String> = ["reader", "sales", "north"]
            .iter()
            .map(|r| format!("{r}_{base}"))
            .collect();
        let [reader, sales, north] = &roles[..] else {
            unreachable!()
        };
        db.tamper(&format!(
            "CREATE TABLE clients (id int PRIMARY KEY, nom text, region text, iban text); \
             INSERT INTO clients VALUES (1, 'Alpha', 'Nord', 'FR76 1'), (2, 'Beta', 'Sud', 'FR76 2'), \
                                        (3, 'Gamma', 'Nord', 'FR76 3'), (4, 'Delta', 'Sud', 'FR76 4'); \
             CREATE ROLE \"{reader}\" LOGIN; CREATE ROLE \"{sales}\" LOGIN; CREATE ROLE \"{north}\" LOGIN; \
             GRANT USAGE ON SCHEMA public TO \"{reader}\", \"{sales}\", \"{north}\"; \
             GRANT SELECT ON clients TO \"{reader}\", \"{north}\"; \
             GRANT SELECT (id, nom, region) ON clients TO \"{sales}\"; \
             ALTER TABLE clients ENABLE ROW LEVEL SECURITY; \
             CREATE POLICY north_only ON clients FOR SELECT TO \"{north}\" USING (region = 'Nord'); \
             CREATE POLICY everyone ON clients FOR SELECT TO \"{reader}\", \"{sales}\" USING (true); \
             CREATE TABLE staff (nom text, salary int); CREATE INDEX staff_by_salary ON staff (salary, nom); \
             INSERT INTO staff VALUES ('Zoé', 1000), ('Adam', 9000), ('Marc', 5000); \
             GRANT SELECT (nom) ON staff TO \"{sales}\"; GRANT SELECT ON staff TO \"{reader}\", \"{north}\"; \
             ALTER ROLE \"{sales}\" SET enable_seqscan = off;"
        ))
        .await;
        Self { db, roles }
    }

    fn target(&self, role: &str) -> pstral_core::sql::Target {
        let pstral_core::store::DatabaseUrl::Postgres(admin) = &self.db.settings.url else {
            unreachable!()
        };
        let mut url = admin.clone();
        url.set_username(role).unwrap();
        url.set_password(None).unwrap();
        pstral_core::sql::Target {
            name: "crm".to_owned(),
            kind: pstral_core::sql::TargetKind::Postgres(
                pstral_core::store::DatabaseUrl::Postgres(url),
            ),
            instructions_file: None,
            semantic: Default::default(),
            today: None,
            weigh_plans: true,
            accounts: Vec::new(),
        }
    }

    async fn runtime(&self) -> SqlRuntime {
        let open = |role: &str| {
            let target = self.target(role);
            async move { pstral_core::sql::open_target(&target, &[]).await.unwrap() }
        };
        let executor = open(&self.roles[0]).await;
        let accounts = vec![
            ("north".to_owned(), Account::new(open(&self.roles[2]).await)),
            ("sales".to_owned(), Account::new(open(&self.roles[1]).await)),
        ];
        let runtime = SqlRuntime {
            readers: Readers {
                rules: Arc::new(rules(&[
                    ("north", &[]),
                    ("sales", &["clients.iban", "*.salary"]),
                ])),
                accounts,
                ..Readers::default()
            },
            ..crate::execute::demo().await.runtime
        };
        let runtime = SqlRuntime {
            policy: Policy::new(Dialect::Postgres),
            executor: Account::new(executor),
            ..runtime
        };
        runtime.refresh_catalog().await.unwrap();
        runtime
    }

    async fn drop_roles(self) {
        let roles = self.roles.clone();
        for role in &roles {
            self.db.tamper(&format!("DROP OWNED BY \"{role}\"")).await;
        }
        drop(self.db);
        use sqlx::Connection as _;
        let mut admin = sqlx::PgConnection::connect(&crate::support::pg_admin_url())
            .await
            .unwrap();
        for role in roles {
            // The database is gone with the TestDb; the roles are cluster-wide.
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP ROLE IF EXISTS \"{role}\""
            )))
            .execute(&mut admin)
            .await;
        }
    }
}

/// What a click of a member of `groups` may run `valid` as, as the
/// Execute pipeline grants it.
fn granted(
    runtime: &SqlRuntime,
    groups: &[String],
    valid: &pstral_core::sql::validate::Validated,
) -> Result<execution::Granted, NotReadable> {
    execution::check(runtime, &valid.text)
        .unwrap()
        .grant(runtime, groups)
}

/// The rows `sql` returns for a member of `groups`, in the order they are
/// shown, or why it may not run: a run from the terminal, through the
/// Execute pipeline (audited in a store of its own).
async fn rows_for(runtime: &SqlRuntime, groups: &[&str], sql: &str) -> Result<Vec<String>, String> {
    let groups: Vec<String> = groups.iter().map(|g| (*g).to_owned()).collect();
    let checked = execution::check(runtime, sql).map_err(|r| r.to_string())?;
    let granted = checked.grant(runtime, &groups).map_err(|n| match n {
        NotReadable::Hidden(hidden) => hidden.to_string(),
        NotReadable::Unchecked => "unchecked".to_owned(),
    })?;
    let db = crate::support::TestDb::sqlite().await;
    let audit = pstral_core::audit::Audit::new(db.store.clone());
    let approved = granted
        .shown_to(runtime, Audience::Asker)
        .request(&audit, Actor::cli(), None, serde_json::json!({}))
        .await
        .unwrap();
    let mut preview = pstral_core::sql::render::Preview::new(1_000);
    let outcome = approved.run(&mut preview).await;
    let executed = approved.record(outcome, Made::Nothing).await;
    executed.recorded.unwrap();
    executed.outcome.map_err(|e| e.to_string())?;
    Ok(preview
        .rows
        .iter()
        .map(|row| format!("{:?}", row[0]))
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_each_group_reads_through_its_own_account_row_level_security_included() {
    let accounts = Accounts::new().await;
    let runtime = accounts.runtime().await;
    let names = "SELECT nom FROM clients ORDER BY id";
    let all = rows_for(&runtime, &[], names).await.unwrap();
    assert_eq!(all.len(), 4, "{all:?}");
    let north = rows_for(&runtime, &["north"], names).await.unwrap();
    assert_eq!(
        north.len(),
        2,
        "north's account sees its region only: {north:?}"
    );
    assert!(
        north
            .iter()
            .all(|n| n.contains("Alpha") || n.contains("Gamma")),
        "{north:?}"
    );
    assert_eq!(
        rows_for(&runtime, &["sales"], names).await.unwrap().len(),
        4
    );

    // The IBAN: hidden from sales on the statement; north's account reads
    // its own rows' IBANs.
    let ibans = "SELECT iban FROM clients";
    let refused = rows_for(&runtime, &["sales"], ibans).await.unwrap_err();
    assert!(refused.contains("hidden from sales"), "{refused}");
    assert_eq!(
        rows_for(&runtime, &["north"], ibans).await.unwrap().len(),
        2
    );
    // Someone in both: the first group (by name) that hides nothing it
    // reads, north, with north's account.
    assert_eq!(
        rows_for(&runtime, &["north", "sales"], ibans)
            .await
            .unwrap()
            .len(),
        2
    );

    // sales' account reads staff through its only index, on the salary
    // (sequential scans are off for it): the names come out in the order
    // of the salaries, which sales may not read, so they are shown to
    // sales by name; north may read the salary.
    let names = rows_for(&runtime, &["sales"], "SELECT nom FROM staff")
        .await
        .unwrap();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!((names.len(), &names), (3, &sorted));
    assert_eq!(
        rows_for(&runtime, &["north"], "SELECT nom FROM staff")
            .await
            .unwrap()
            .len(),
        3
    );

    // Were the statement let through, the database itself refuses sales
    // the column: its account has no grant on it.
    let valid = runtime.check(ibans).unwrap();
    let sales = pstral_core::sql::open_target(&accounts.target(&accounts.roles[1]), &[])
        .await
        .unwrap();
    let mut preview = pstral_core::sql::render::Preview::new(10);
    let error = sales
        .run(&valid, runtime.limits, &mut preview)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("permission denied"), "{error}");
    drop(runtime);
    accounts.drop_roles().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_over_a_hidden_column_is_followed_on_postgresql_and_sqlite() {
    // PostgreSQL: pg_get_viewdef, read by the validator.
    let accounts = Accounts::new().await;
    accounts
        .db
        .tamper(&format!(
            "CREATE VIEW v_bank AS SELECT c.id, c.iban AS account FROM clients c; \
             CREATE VIEW v_plain AS SELECT id, nom FROM clients; \
             GRANT SELECT ON v_bank, v_plain TO \"{}\"",
            accounts.roles[0]
        ))
        .await;
    let runtime = accounts.runtime().await;
    let refused = rows_for(&runtime, &["sales"], "SELECT id FROM v_bank")
        .await
        .unwrap_err();
    assert!(
        refused.contains("read through v_bank, which is computed from it"),
        "{refused}"
    );
    let valid = runtime.check("SELECT nom FROM v_plain").unwrap();
    assert!(granted(&runtime, &["sales".to_owned()], &valid).is_ok());
    drop(runtime);
    accounts.drop_roles().await;

    // SQLite: the view's CREATE statement in sqlite_master.
    let demo = crate::execute::demo().await;
    let path = demo.path();
    {
        use sqlx::Connection as _;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
            .await
            .unwrap();
        sqlx::raw_sql(
            "CREATE VIEW big_clients AS SELECT id, company, annual_revenue AS revenue FROM clients",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let runtime = SqlRuntime {
        readers: Readers {
            rules: Arc::new(rules(&[("sales", &["clients.annual_revenue"])])),
            ..Readers::default()
        },
        ..demo.runtime.clone()
    };
    runtime.refresh_catalog().await.unwrap();
    let valid = runtime.check("SELECT company FROM big_clients").unwrap();
    match granted(&runtime, &["sales".to_owned()], &valid) {
        Err(NotReadable::Hidden(Hidden::Read { through, rule, .. })) => {
            assert_eq!(through.as_deref(), Some("big_clients"));
            assert_eq!(rule, "clients.annual_revenue");
        }
        other => panic!("{:?}", other.map(|r| r.group().map(str::to_owned))),
    }
}

/// Found by an attack: `users.email` is UNIQUE, so SQLite reads `SELECT id
/// FROM users` through its index on the e-mails, and the ids come out in
/// the e-mails' order (`LIMIT 1 OFFSET k` is the k-th e-mail's owner). The
/// order rows are read in is not searched for: what keeps, numbers or
/// strings rows needs an order that tells them apart, and the rows shown
/// are sorted by their values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_nothing_shown_follows_the_order_rows_are_read_in() {
    let demo = crate::execute::demo().await;
    let runtime = SqlRuntime {
        readers: Readers {
            rules: Arc::new(rules(&[("sales", &["*.email"])])),
            ..Readers::default()
        },
        ..demo.runtime.clone()
    };
    runtime.refresh_catalog().await.unwrap();
    let sales = ["sales".to_owned()];
    for (sql, how) in [
        ("SELECT id FROM users LIMIT 1 OFFSET 3", Unordered::Limit),
        (
            "SELECT group_concat(id) FROM (SELECT id FROM users)",
            Unordered::Aggregate("group_concat".to_owned()),
        ),
        (
            "SELECT id, row_number() OVER () AS r FROM users",
            Unordered::Window("row_number".to_owned()),
        ),
        ("SELECT id FROM users ORDER BY team", Unordered::Ties),
    ] {
        let valid = runtime.check(sql).unwrap();
        match granted(&runtime, &sales, &valid) {
            Err(NotReadable::Hidden(Hidden::Unordered {
                what, rule, how: h, ..
            })) => {
                assert_eq!(
                    (what.as_str(), rule.as_str(), h),
                    ("users.email", "*.email", how),
                    "{sql}"
                );
            }
            other => panic!("{sql}: {:?}", other.map(|r| r.group().map(str::to_owned))),
        }
    }
    // Read whole, the rows are shown sorted by their values; ordered by a
    // column that tells them apart, in that order; counted, as counted.
    let ids = rows_for(&runtime, &["sales"], "SELECT id FROM users")
        .await
        .unwrap();
    let mut sorted = ids.clone();
    sorted.sort_by_key(|id| {
        id.trim_matches(|c: char| !c.is_ascii_digit())
            .parse::<i64>()
            .unwrap()
    });
    assert_eq!(ids, sorted);
    for sql in [
        "SELECT id FROM users ORDER BY id DESC LIMIT 2",
        "SELECT count(*) FROM users",
        "SELECT team, count(*) FROM users GROUP BY team ORDER BY team LIMIT 3",
    ] {
        let valid = runtime.check(sql).unwrap();
        let reading = granted(&runtime, &sales, &valid).unwrap_or_else(|e| panic!("{sql}: {e}"));
        assert_eq!(reading.order(), RowOrder::AsReturned, "{sql}");
    }
}

/// Found by a second attack: SQLite itself shows a hidden column again in
/// a generated column, a full-text index filled from its table, and the
/// order of a table stored by its key; each is judged as the column.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_sqlite_computes_or_orders_from_a_hidden_column_is_judged_as_the_column() {
    let demo = crate::execute::demo().await;
    {
        use sqlx::Connection as _;
        let mut conn =
            sqlx::SqliteConnection::connect(&format!("sqlite:{}", demo.path().display()))
                .await
                .unwrap();
        sqlx::raw_sql(
            "ALTER TABLE clients ADD COLUMN rev_k INTEGER AS (annual_revenue / 1000); \
             ALTER TABLE clients ADD COLUMN city_upper TEXT AS (upper(city)); \
             CREATE INDEX clients_by_rev_k ON clients(rev_k); \
             CREATE VIRTUAL TABLE clients_fts USING fts5(company, annual_revenue, \
                 content='clients', content_rowid='id'); \
             INSERT INTO clients_fts(clients_fts) VALUES ('rebuild'); \
             CREATE TABLE revenue_bands (annual_revenue INTEGER PRIMARY KEY, band TEXT) WITHOUT ROWID; \
             INSERT INTO revenue_bands VALUES (1000, 'small'), (5000000, 'large'); \
             CREATE TABLE badges (code INTEGER PRIMARY KEY, holder TEXT); \
             INSERT INTO badges VALUES (17, 'ana'), (4, 'bob');",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let runtime = SqlRuntime {
        readers: Readers {
            rules: Arc::new(rules(&[("sales", &["*.annual_revenue", "badges.code"])])),
            ..Readers::default()
        },
        ..demo.runtime.clone()
    };
    runtime.refresh_catalog().await.unwrap();
    let sales = ["sales".to_owned()];
    let refused = async |sql: &str| {
        let valid = runtime.check(sql).unwrap();
        match granted(&runtime, &sales, &valid) {
            Err(NotReadable::Hidden(hidden)) => hidden,
            other => panic!("{sql}: {:?}", other.map(|r| r.group().map(str::to_owned))),
        }
    };
    match refused("SELECT company, rev_k FROM clients").await {
        Hidden::Read { through, rule, .. } => {
            assert_eq!(through.as_deref(), Some("clients.rev_k"));
            assert_eq!(rule, "*.annual_revenue");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        refused("SELECT company FROM clients ORDER BY rev_k").await,
        Hidden::Read { .. }
    ));
    for sql in [
        "SELECT company FROM clients_fts",
        "SELECT count(*) FROM clients_fts_data",
    ] {
        assert!(
            matches!(refused(sql).await, Hidden::Unfollowed { .. }),
            "{sql}"
        );
    }
    // A table stored in a hidden key's order: its rows are shown sorted
    // by what is read of them, not as stored.
    assert_eq!(
        rows_for(&runtime, &["sales"], "SELECT band FROM revenue_bands")
            .await
            .unwrap(),
        ["Some(\"large\")", "Some(\"small\")"]
    );
    match refused("SELECT holder, row_number() OVER () FROM badges").await {
        Hidden::Unordered { what, rule, .. } => {
            assert_eq!(
                (what.as_str(), rule.as_str()),
                ("badges.code", "badges.code")
            );
        }
        other => panic!("{other:?}"),
    }
    // What is computed from columns sales may read stays theirs.
    for sql in [
        "SELECT company, city_upper FROM clients",
        "SELECT company FROM clients ORDER BY id",
    ] {
        let valid = runtime.check(sql).unwrap();
        assert!(granted(&runtime, &sales, &valid).is_ok(), "{sql}");
    }
    // None of it is in the prompt built for them.
    let shown = runtime.for_reader(&sales).known_catalog().unwrap();
    let names: Vec<String> = shown
        .tables
        .iter()
        .flat_map(|t| {
            std::iter::once(t.name.clone()).chain(
                t.columns
                    .iter()
                    .map(move |c| format!("{}.{}", t.name, c.name)),
            )
        })
        .collect();
    for gone in [
        "clients.rev_k",
        "clients_fts",
        "clients_fts_data",
        "revenue_bands.annual_revenue",
        "badges.code",
    ] {
        assert!(!names.iter().any(|n| n == gone), "{gone} in {names:?}");
    }
    for kept in ["clients.city_upper", "revenue_bands.band", "badges.holder"] {
        assert!(names.iter().any(|n| n == kept), "{kept} not in {names:?}");
    }
}

/// The same on PostgreSQL: a stored generated column over a hidden one,
/// and tables stored in its order, by `CLUSTER` or as they were loaded (a
/// scan returns their rows so). Found by the third and fourth attacks, and
/// kept: a table clustered on a visible column then the hidden one (N1),
/// statistics older than the reordering (N2), a table mostly in order
/// (N4), a table never analysed (N5). None is looked for: nothing shown
/// follows the order rows are read in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_postgresql_computes_or_orders_from_a_hidden_column_is_judged_as_the_column() {
    let accounts = Accounts::new().await;
    accounts
        .db
        .tamper(&format!(
            "ALTER TABLE clients ADD COLUMN iban_country text \
                 GENERATED ALWAYS AS (substr(iban, 1, 2)) STORED; \
             CREATE TABLE wages (id int PRIMARY KEY, nom text, salary int); \
             INSERT INTO wages VALUES (1, 'Zoé', 900), (2, 'Abel', 3000), (3, 'Marc', 2000); \
             CREATE INDEX wages_by_salary ON wages (salary); \
             CLUSTER wages USING wages_by_salary; \
             GRANT SELECT ON wages TO \"{reader}\", \"{sales}\", \"{north}\"; \
             GRANT SELECT (iban_country) ON clients TO \"{sales}\"; \
             CREATE TABLE parties (id int, nom text, iban text); \
             ALTER TABLE clients INHERIT parties; \
             GRANT SELECT ON parties TO \"{reader}\", \"{sales}\", \"{north}\"; \
             CREATE TABLE ranks (nom text, salary int); \
             INSERT INTO ranks SELECT 'n' || g, g * 100 FROM generate_series(1, 200) g ORDER BY g; \
             ANALYZE ranks; \
             GRANT SELECT ON ranks TO \"{reader}\", \"{sales}\", \"{north}\"; \
             CREATE TABLE staffing (id int PRIMARY KEY, status text, nom text, salary int); \
             INSERT INTO staffing SELECT g, CASE WHEN g % 3 = 0 THEN 'parti' ELSE 'actif' END, \
                 'p' || (1000 - g), (g * 7919) % 1000 FROM generate_series(1, 300) g; \
             ANALYZE staffing; \
             CREATE INDEX staffing_by_pay ON staffing (status, salary); \
             CLUSTER staffing USING staffing_by_pay; \
             ALTER TABLE staffing SET WITHOUT CLUSTER; \
             GRANT SELECT ON staffing TO \"{reader}\", \"{sales}\", \"{north}\"; \
             CREATE TABLE fresh AS SELECT g AS id, 'f' || (500 - g) AS nom, (g * 37) % 41 AS salary \
                 FROM generate_series(1, 40) g ORDER BY (g * 37) % 41; \
             GRANT SELECT ON fresh TO \"{reader}\", \"{sales}\", \"{north}\";",
            reader = accounts.roles[0],
            sales = accounts.roles[1],
            north = accounts.roles[2],
        ))
        .await;
    let runtime = accounts.runtime().await;
    let refused = rows_for(&runtime, &["sales"], "SELECT iban_country FROM clients")
        .await
        .unwrap_err();
    assert!(
        refused.contains("clients.iban is hidden from sales")
            && refused.contains("clients.iban_country"),
        "{refused}"
    );
    // Stored by salary, shown to sales by name; north, who may read the
    // salary, sees them as the database returns them.
    assert_eq!(
        rows_for(&runtime, &["sales"], "SELECT nom FROM wages")
            .await
            .unwrap(),
        ["Some(\"Abel\")", "Some(\"Marc\")", "Some(\"Zoé\")"]
    );
    assert_eq!(
        rows_for(&runtime, &["north"], "SELECT nom FROM wages")
            .await
            .unwrap(),
        ["Some(\"Zoé\")", "Some(\"Marc\")", "Some(\"Abel\")"]
    );
    // Found by a third attack: a parent table reads its children's rows
    // (clients' IBANs through parties), and a table loaded in a hidden
    // column's order returns its rows so with no index or CLUSTER left
    // (the planner's correlation says so).
    let refused = rows_for(&runtime, &["sales"], "SELECT iban FROM parties")
        .await
        .unwrap_err();
    assert!(refused.contains("hidden from sales"), "{refused}");
    assert!(
        rows_for(&runtime, &["sales"], "SELECT nom FROM parties")
            .await
            .is_ok()
    );
    for sql in [
        "SELECT nom FROM ranks LIMIT 3",
        // N1, N2, N4: the active staff come in salary order.
        "SELECT nom FROM staffing WHERE status = 'actif' LIMIT 5",
        "SELECT nom FROM staffing WHERE status = 'actif' ORDER BY status LIMIT 5",
        "SELECT string_agg(nom, ',') FROM staffing WHERE status = 'actif'",
        // N5: loaded in salary order, never analysed.
        "SELECT nom FROM fresh FETCH FIRST 3 ROWS ONLY",
        "SELECT nom, row_number() OVER () FROM fresh",
    ] {
        let refused = rows_for(&runtime, &["sales"], sql).await.unwrap_err();
        assert!(
            refused.contains(".salary, hidden from sales")
                && refused.contains("follow the order rows are read in"),
            "{sql}: {refused}"
        );
    }
    // What tells the rows apart decides which are kept, and a result read
    // whole is shown by its values: the first names in name order, not
    // the lowest salaries.
    assert_eq!(
        rows_for(
            &runtime,
            &["sales"],
            "SELECT id FROM staffing WHERE status = 'actif' ORDER BY id LIMIT 3"
        )
        .await
        .unwrap(),
        ["Some(\"1\")", "Some(\"2\")", "Some(\"4\")"]
    );
    let names = rows_for(&runtime, &["sales"], "SELECT nom FROM fresh")
        .await
        .unwrap();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!((names.len(), &names), (40, &sorted));
    assert_eq!(
        rows_for(&runtime, &["sales"], "SELECT count(*) FROM staffing")
            .await
            .unwrap(),
        ["Some(\"300\")"]
    );
    drop(runtime);
    accounts.drop_roles().await;
}

/// Found by a fourth attack: the target's account may not read a column
/// that a group's own account reads (its rule then being all that keeps
/// it). `*` reads it on the group's account, so it is judged against what
/// every account on the target sees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_only_a_groups_account_sees_is_still_hidden_from_it() {
    let accounts = Accounts::new().await;
    accounts
        .db
        .tamper(&format!(
            "REVOKE SELECT ON clients FROM \"{reader}\"; \
             GRANT SELECT (id, nom, region) ON clients TO \"{reader}\"; \
             GRANT SELECT ON clients TO \"{sales}\"",
            reader = accounts.roles[0],
            sales = accounts.roles[1],
        ))
        .await;
    let runtime = accounts.runtime().await;
    assert!(
        !runtime
            .known_catalog()
            .unwrap()
            .table(None, "clients")
            .unwrap()
            .columns
            .iter()
            .any(|c| c.name == "iban"),
        "the target's account does not see the IBAN"
    );
    for sql in [
        "SELECT * FROM clients",
        "SELECT c.* FROM clients c",
        "SELECT to_json(c) FROM clients c",
    ] {
        let refused = rows_for(&runtime, &["sales"], sql).await.unwrap_err();
        assert!(
            refused.contains("clients.iban is hidden from sales"),
            "{sql}: {refused}"
        );
    }
    assert_eq!(
        rows_for(&runtime, &["sales"], "SELECT nom FROM clients")
            .await
            .unwrap()
            .len(),
        4
    );
    drop(runtime);
    accounts.drop_roles().await;
}
