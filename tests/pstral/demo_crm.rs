//! The demo CRM read as an analyst would: its invariants hold on SQLite and
//! on PostgreSQL (made by `create_postgres`, read through its SELECT-only
//! role, as the Execute target would), and a dozen usual questions give the
//! same answers on both.

use std::sync::Arc;

use pstral_core::sql::backend::{Executor, Limits, PostgresExecutor, SqliteExecutor};
use pstral_core::sql::demo;
use pstral_core::sql::render::Preview;
use pstral_core::sql::validate::{Policy, validate};
use pstral_core::store::DatabaseUrl;
use sqlx::Connection;

use crate::support::TestDb;

pub(crate) struct Copies {
    pub(crate) sqlite: Arc<dyn Executor>,
    pub(crate) postgres: Arc<dyn Executor>,
    reader_url: String,
    reader: String,
    db: TestDb,
    _dir: tempfile::TempDir,
}

impl Copies {
    pub(crate) async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.db");
        demo::create(&path, false).await.unwrap();
        let sqlite = Arc::new(SqliteExecutor::open(&path).await.unwrap());

        let db = TestDb::postgres().await;
        let DatabaseUrl::Postgres(url) = &db.settings.url else {
            unreachable!()
        };
        let reader = format!("crm_reader_{}", url.path().trim_start_matches('/'))
            .to_lowercase()
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_");
        let made = demo::create_postgres(url.as_str(), &reader, "r34d-only", false)
            .await
            .unwrap();
        assert_eq!(made.reader, reader);
        let mut reader_url = url.clone();
        reader_url.set_username(&reader).unwrap();
        reader_url.set_password(Some("r34d-only")).unwrap();
        let postgres = Arc::new(
            PostgresExecutor::connect(reader_url.as_str())
                .await
                .unwrap()
                .with_search_path(&[demo::SCHEMA.to_owned()]),
        );
        Self {
            sqlite,
            postgres,
            reader_url: reader_url.to_string(),
            reader,
            db,
            _dir: dir,
        }
    }

    /// The rows of `sql` on one copy, numbers to two decimals.
    pub(crate) async fn rows(&self, postgres: bool, sql: &str) -> Vec<Vec<Option<String>>> {
        let (exec, mut policy) = if postgres {
            (
                &self.postgres,
                Policy::new(pstral_core::sql::Dialect::Postgres),
            )
        } else {
            (&self.sqlite, Policy::new(pstral_core::sql::Dialect::Sqlite))
        };
        policy.allowed_schemas = vec![demo::SCHEMA.to_owned()];
        let query = validate(sql, &policy).unwrap_or_else(|r| panic!("{sql}: {r}"));
        let mut preview = Preview::new(100_000);
        exec.run(
            &query,
            Limits::new(100_000, std::time::Duration::from_secs(30)),
            &mut preview,
        )
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
        preview
            .rows
            .into_iter()
            .map(|row| row.into_iter().map(|c| c.map(|v| normal(&v))).collect())
            .collect()
    }

    /// Removes the reader role (roles outlive the test's database).
    pub(crate) async fn drop_reader(self) {
        let DatabaseUrl::Postgres(url) = &self.db.settings.url else {
            unreachable!()
        };
        let mut admin = sqlx::PgConnection::connect(url.as_str()).await.unwrap();
        for sql in [
            format!("DROP SCHEMA {} CASCADE", demo::SCHEMA),
            format!("DROP OWNED BY {}", self.reader),
            format!("DROP ROLE {}", self.reader),
        ] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut admin)
                .await
                .unwrap();
        }
    }
}

/// A number as two decimals (SQLite's REAL and PostgreSQL's numeric print
/// differently); anything else as it is.
fn normal(value: &str) -> String {
    match value.parse::<f64>() {
        Ok(x) => format!("{x:.2}"),
        Err(_) => value.to_owned(),
    }
}

/// `sql` for a dialect: `{today}` the demo's today, `{grace_end}` the last
/// day of the grace period of payment `p`.
fn for_dialect(sql: &str, postgres: bool) -> String {
    let today = demo::today();
    let grace = demo::GRACE_DAYS;
    if postgres {
        sql.replace("{today}", &format!("DATE '{today}'"))
            .replace("{grace_end}", &format!("(p.due_on + {grace})"))
    } else {
        sql.replace("{today}", &format!("'{today}'"))
            .replace("{grace_end}", &format!("date(p.due_on, '+{grace} days')"))
    }
}

/// Each invariant counts the rows that break it.
const INVARIANTS: &[(&str, &str)] = &[
    (
        "nothing is dated after today but due dates",
        "SELECT (SELECT COUNT(*) FROM users WHERE hired_on > {today} OR left_on > {today})
              + (SELECT COUNT(*) FROM clients WHERE created_on > {today} OR churned_on > {today})
              + (SELECT COUNT(*) FROM contracts WHERE starts_on > {today} OR ends_on > {today})
              + (SELECT COUNT(*) FROM payments WHERE paid_on > {today})
              + (SELECT COUNT(*) FROM documents WHERE uploaded_on > {today})
              + (SELECT COUNT(*) FROM client_notes WHERE written_on > {today})",
    ),
    (
        "a payment due after today is the one scheduled next of a running contract",
        "SELECT COUNT(*) FROM payments p JOIN contracts k ON k.id = p.contract_id
          WHERE p.due_on > {today}
            AND (p.status <> 'à venir' OR k.ends_on IS NOT NULL
                 OR (SELECT COUNT(*) FROM payments q
                      WHERE q.contract_id = p.contract_id AND q.due_on > {today}) > 1)",
    ),
    (
        "a contract lies within its client's life",
        "SELECT COUNT(*) FROM contracts k JOIN clients c ON c.id = k.client_id
          WHERE k.starts_on < c.created_on OR k.ends_on < k.starts_on
             OR (c.churned_on IS NOT NULL AND (k.ends_on IS NULL OR k.ends_on > c.churned_on))",
    ),
    (
        "payments fall due over their contract's life, monthly or quarterly",
        "SELECT COUNT(*) FROM payments p JOIN contracts k ON k.id = p.contract_id
          WHERE p.due_on < k.starts_on OR p.due_on >= k.ends_on
             OR p.amount <> CASE k.billing WHEN 'mensuel' THEN k.monthly_amount
                                           ELSE ROUND(k.monthly_amount * 3, 2) END",
    ),
    (
        "a payment is never made before its contract, nor a direct debit before it is due",
        "SELECT COUNT(*) FROM payments p JOIN contracts k ON k.id = p.contract_id
          WHERE p.paid_on < k.starts_on
             OR (p.method = 'prélèvement' AND p.paid_on < p.due_on)",
    ),
    (
        "collections write only about clients with a late payment, after it was late",
        "SELECT COUNT(*) FROM client_notes n JOIN users u ON u.id = n.author_id
          WHERE u.team = 'Recouvrement' AND NOT EXISTS (
                SELECT 1 FROM payments p JOIN contracts k ON k.id = p.contract_id
                 WHERE k.client_id = n.client_id
                   AND p.status IN ('impayé', 'payé en retard') AND {grace_end} < n.written_on)",
    ),
    (
        "notes are written by people employed at the time, within the client's life",
        "SELECT COUNT(*) FROM client_notes n JOIN users u ON u.id = n.author_id
                JOIN clients c ON c.id = n.client_id
          WHERE n.written_on < u.hired_on OR n.written_on > u.left_on
             OR n.written_on < c.created_on",
    ),
    (
        "documents are uploaded within their client's and contract's life",
        "SELECT COUNT(*) FROM documents d JOIN clients c ON c.id = d.client_id
                LEFT JOIN contracts k ON k.id = d.contract_id
          WHERE d.uploaded_on < c.created_on OR (k.id IS NOT NULL AND k.client_id <> d.client_id)",
    ),
    (
        "accounts are managed by current sales staff",
        "SELECT COUNT(*) FROM clients c JOIN users u ON u.id = c.account_manager_id
          WHERE u.left_on IS NOT NULL
             OR u.team NOT IN ('Ventes Nord', 'Ventes Sud', 'Grands comptes')",
    ),
    (
        "a payment's status is what its dates say, with the grace period",
        "SELECT COUNT(*) FROM payments p
          WHERE p.status <> CASE
                  WHEN p.paid_on IS NOT NULL AND p.paid_on <= {grace_end} THEN 'payé'
                  WHEN p.paid_on IS NOT NULL THEN 'payé en retard'
                  WHEN p.due_on > {today} THEN 'à venir'
                  WHEN {grace_end} >= {today} THEN 'en attente'
                  ELSE 'impayé' END",
    ),
    (
        "a contract runs exactly when it has no end, and is suspended only for unpaid payments",
        "SELECT COUNT(*) FROM contracts k
          WHERE (k.ends_on IS NULL) <> (k.status IN ('actif', 'suspendu'))
             OR (k.status = 'suspendu' AND NOT EXISTS (
                   SELECT 1 FROM payments p JOIN contracts o ON o.id = p.contract_id
                    WHERE o.client_id = k.client_id AND p.status = 'impayé'))",
    ),
    (
        "a client's status is what its contracts say",
        "SELECT COUNT(*) FROM clients c
          WHERE c.status <> CASE
                  WHEN NOT EXISTS (SELECT 1 FROM contracts k WHERE k.client_id = c.id) THEN 'prospect'
                  WHEN EXISTS (SELECT 1 FROM contracts k
                                WHERE k.client_id = c.id AND k.ends_on IS NULL) THEN 'actif'
                  ELSE 'résilié' END
             OR (c.status = 'résilié') <> (c.churned_on IS NOT NULL)
             OR c.churned_on <> (SELECT MAX(k.ends_on) FROM contracts k WHERE k.client_id = c.id)",
    ),
    (
        "company names are unique within a city",
        "SELECT COUNT(*) FROM (SELECT company, city FROM clients
                                GROUP BY company, city HAVING COUNT(*) > 1) d",
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_holds_together_on_sqlite_and_postgresql() {
    let copies = Copies::new().await;
    for postgres in [false, true] {
        let on = if postgres { "PostgreSQL" } else { "SQLite" };
        for (what, sql) in INVARIANTS {
            let broken = copies.rows(postgres, &for_dialect(sql, postgres)).await;
            assert_eq!(
                broken,
                vec![vec![Some(normal("0"))]],
                "{on}: {what}: rows break it"
            );
        }
        let share = copies
            .rows(
                postgres,
                "SELECT 100.0 * SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM contracts k \
                 WHERE k.client_id = c.id) THEN 1 ELSE 0 END) / COUNT(*) FROM clients c",
            )
            .await;
        let share: f64 = share[0][0].as_deref().unwrap().parse().unwrap();
        assert!(share >= 5.0, "{on}: {share}% of clients without a contract");
        // What analysts meet in real life is there, on purpose.
        let quality = copies
            .rows(
                postgres,
                "SELECT (SELECT COUNT(*) FROM clients WHERE annual_revenue IS NULL),
                        (SELECT COUNT(*) FROM contacts WHERE email IS NULL),
                        (SELECT COUNT(*) FROM (SELECT client_id, LOWER(email) AS e FROM contacts
                          WHERE email IS NOT NULL GROUP BY client_id, LOWER(email)
                          HAVING COUNT(*) > 1) d),
                        (SELECT COUNT(*) FROM clients WHERE status = 'résilié')",
            )
            .await;
        for (i, n) in quality[0].iter().enumerate() {
            let n: f64 = n.as_deref().unwrap().parse().unwrap();
            assert!(n >= 1.0, "{on}: data-quality case {i} is missing");
        }
    }
    // The role the Execute target uses reads and does nothing else.
    let mut reader = sqlx::PgConnection::connect(&copies.reader_url)
        .await
        .unwrap();
    for write in [
        "INSERT INTO crm.users (id, first_name, last_name, email, team, hired_on) \
         VALUES (999, 'a', 'b', 'c', 'd', DATE '2020-01-01')",
        "UPDATE crm.payments SET status = 'payé'",
        "CREATE TABLE crm.mine (x int)",
    ] {
        let refused = sqlx::raw_sql(write).execute(&mut reader).await.unwrap_err();
        assert!(
            refused.to_string().contains("permission denied"),
            "{write}: {refused}"
        );
    }
    reader.close().await.unwrap();
    copies.drop_reader().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dozen_analyst_questions_get_the_same_answer_on_sqlite_and_postgresql() {
    let copies = Copies::new().await;
    // (SQLite, PostgreSQL): the same question, the same text where the
    // dialects agree.
    let month = ("strftime('%Y-%m', {d})", "to_char({d}, 'YYYY-MM')");
    let questions: Vec<(String, String)> = [
        "SELECT status, COUNT(*) FROM clients GROUP BY status ORDER BY status",
        "SELECT c.company, c.city, ROUND(SUM(p.amount), 2) AS total FROM clients c \
         JOIN contracts k ON k.client_id = c.id JOIN payments p ON p.contract_id = k.id \
         WHERE p.paid_on IS NOT NULL GROUP BY c.id, c.company, c.city \
         ORDER BY total DESC, c.id LIMIT 10",
        "MONTH SELECT {month(starts_on)} AS m, COUNT(*) FROM contracts \
         WHERE starts_on >= '2024-01-01' AND starts_on < '2025-01-01' GROUP BY m ORDER BY m",
        "SELECT COUNT(*) FROM clients c WHERE NOT EXISTS \
         (SELECT 1 FROM contracts k WHERE k.client_id = c.id)",
        "SELECT c.city, COUNT(*), ROUND(SUM(p.amount), 2) FROM payments p \
         JOIN contracts k ON k.id = p.contract_id JOIN clients c ON c.id = k.client_id \
         WHERE p.status = 'impayé' GROUP BY c.city ORDER BY 2 DESC, 1",
        "SELECT u.last_name, u.first_name, COUNT(n.id) FROM users u \
         LEFT JOIN client_notes n ON n.author_id = u.id \
         GROUP BY u.id, u.last_name, u.first_name ORDER BY u.id",
        "SELECT product, COUNT(*), ROUND(SUM(monthly_amount), 2) FROM contracts \
         WHERE ends_on IS NULL GROUP BY product ORDER BY product",
        "MONTH SELECT {month(churned_on)} AS m, COUNT(*) FROM clients \
         WHERE churned_on IS NOT NULL GROUP BY m ORDER BY m",
        "DAYS SELECT COUNT(*), ROUND(AVG({days}), 1) FROM payments p \
         WHERE p.status = 'payé en retard'",
        "SELECT sector, COUNT(*) FROM clients WHERE status = 'actif' \
         GROUP BY sector ORDER BY 2 DESC, 1",
        "SELECT COUNT(*), ROUND(SUM(amount), 2) FROM payments WHERE status = 'à venir'",
        "MONTH SELECT {month(created_on)} AS m, COUNT(*) FROM clients \
         WHERE created_on >= '2025-01-01' GROUP BY m ORDER BY m",
        "SELECT u.team, COUNT(DISTINCT c.id) FROM clients c \
         JOIN users u ON u.id = c.account_manager_id \
         JOIN contracts k ON k.client_id = c.id AND k.status = 'suspendu' \
         GROUP BY u.team ORDER BY u.team",
    ]
    .iter()
    .map(|q| {
        let days = (
            "julianday(p.paid_on) - julianday(p.due_on)",
            "p.paid_on - p.due_on",
        );
        let (lite, pg) = (q.to_string(), q.to_string());
        let lite = lite
            .trim_start_matches("MONTH ")
            .trim_start_matches("DAYS ")
            .replace("{days}", days.0);
        let pg = pg
            .trim_start_matches("MONTH ")
            .trim_start_matches("DAYS ")
            .replace("{days}", days.1);
        let month_of = |sql: String, pattern: &str| {
            let mut out = sql;
            while let Some(at) = out.find("{month(") {
                let end = at + out[at..].find(")}").unwrap();
                let column = out[at + 7..end].to_owned();
                out.replace_range(at..end + 2, &pattern.replace("{d}", &column));
            }
            out
        };
        (month_of(lite, month.0), month_of(pg, month.1))
    })
    .collect();
    assert!(questions.len() >= 12);
    for (lite, pg) in &questions {
        let on_sqlite = copies.rows(false, lite).await;
        let on_postgres = copies.rows(true, pg).await;
        assert!(!on_sqlite.is_empty(), "{lite}: no rows");
        assert_eq!(on_sqlite, on_postgres, "{lite}\n{pg}");
    }
    copies.drop_reader().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_sees_every_table_and_column_explained_on_both() {
    let copies = Copies::new().await;
    for exec in [&copies.sqlite, &copies.postgres] {
        let catalog = exec.catalog(&[demo::SCHEMA.to_owned()]).await.unwrap();
        assert_eq!(catalog.tables.len(), 7, "{:?}", catalog.tables);
        for table in &catalog.tables {
            assert!(table.comment.is_some(), "{}: no comment", table.name);
            for column in &table.columns {
                assert!(
                    column.comment.is_some(),
                    "{}.{}: no comment",
                    table.name,
                    column.name
                );
            }
        }
        let payments = catalog
            .tables
            .iter()
            .find(|t| t.name == "payments")
            .unwrap();
        // Keys too, although the PostgreSQL role may only read.
        assert_eq!(payments.primary_key, ["id"], "{payments:?}");
        assert!(
            payments
                .foreign_keys
                .iter()
                .any(|k| k.columns == ["contract_id"]
                    && k.table == "contracts"
                    && k.ref_columns == ["id"]),
            "{payments:?}"
        );
        let status = payments
            .columns
            .iter()
            .find(|c| c.name == "status")
            .unwrap();
        assert!(
            status
                .comment
                .as_deref()
                .unwrap()
                .contains("grace period of 15 days"),
            "{status:?}"
        );
    }
    copies.drop_reader().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_company_grows_and_signs_with_the_seasons() {
    let copies = Copies::new().await;
    let per_year = copies
        .rows(
            false,
            "SELECT substr(created_on, 1, 4) AS y, COUNT(*) FROM clients GROUP BY y ORDER BY y",
        )
        .await;
    let counts: Vec<f64> = per_year
        .iter()
        .map(|r| r[1].as_deref().unwrap().parse().unwrap())
        .collect();
    assert_eq!(counts.len(), 8, "2018 to 2025: {per_year:?}");
    assert!(
        counts[3..7].windows(2).all(|w| w[1] > w[0]),
        "more new clients every year from 2021 to 2024: {per_year:?}"
    );
    let per_month = copies
        .rows(
            false,
            "SELECT substr(starts_on, 6, 2) AS m, COUNT(*) FROM contracts GROUP BY m ORDER BY m",
        )
        .await;
    let signed: Vec<f64> = per_month
        .iter()
        .map(|r| r[1].as_deref().unwrap().parse().unwrap())
        .collect();
    let average = signed.iter().sum::<f64>() / 12.0;
    assert!(
        signed[7] < average * 0.6 && signed[9] > average,
        "few signatures in August, many in October: {per_month:?}"
    );
    copies.drop_reader().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pstral_demo_init_postgres_makes_the_schema_and_says_how_to_read_it() {
    let db = TestDb::postgres().await;
    let DatabaseUrl::Postgres(url) = &db.settings.url else {
        unreachable!()
    };
    let reader = format!("crm_cli_{}", url.path().trim_start_matches('/'))
        .to_lowercase()
        .replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "_");
    let s = crate::cli::Scratch::new();
    let init = |force: bool| {
        let mut args = vec![
            "demo",
            "init",
            "--postgres",
            url.as_str(),
            "--reader",
            &reader,
        ];
        if force {
            args.push("--force");
        }
        s.command(&args)
            .env("PSTRAL_DEMO_READER_PASSWORD", "r34d-only")
            .output()
            .unwrap()
    };
    let out = init(false);
    assert!(out.status.success(), "{}", crate::cli::stderr(&out));
    let printed = crate::cli::stdout(&out);
    let mut target = url.clone();
    target.set_username(&reader).unwrap();
    assert!(
        printed
            .lines()
            .any(|l| l.split_whitespace().eq(["clients", "600", "rows"]))
            && printed.contains(&format!("url = \"{target}\""))
            && printed.contains("allowed_schemas = [\"crm\"]"),
        "{printed}"
    );
    assert!(
        !printed.contains("r34d-only"),
        "the operator's password is not echoed"
    );

    let again = init(false);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        crate::cli::stderr(&again).contains("already exists"),
        "{}",
        crate::cli::stderr(&again)
    );
    assert!(init(true).status.success(), "--force replaces it");

    let mut admin = sqlx::PgConnection::connect(url.as_str()).await.unwrap();
    for sql in [
        "DROP SCHEMA crm CASCADE".to_owned(),
        format!("DROP OWNED BY {reader}"),
        format!("DROP ROLE {reader}"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_may_do_more_than_log_in_is_never_made_the_reader() {
    let db = TestDb::postgres().await;
    let DatabaseUrl::Postgres(url) = &db.settings.url else {
        unreachable!()
    };
    let suffix = url
        .path()
        .trim_start_matches('/')
        .to_lowercase()
        .replace(|c: char| !c.is_ascii_alphanumeric(), "_");
    let mut admin = sqlx::PgConnection::connect(url.as_str()).await.unwrap();
    let run = |sql: String| sqlx::raw_sql(sqlx::AssertSqlSafe(sql));
    let cases = [
        ("repl", "REPLICATION"),
        ("rls", "BYPASSRLS"),
        ("files", "IN ROLE pg_read_server_files"),
        ("plain", ""),
    ];
    for (name, attributes) in cases {
        let role = format!("crm_{name}_{suffix}");
        run(format!("CREATE ROLE {role} LOGIN {attributes}"))
            .execute(&mut admin)
            .await
            .unwrap();
        run(format!("ALTER ROLE {role} SET work_mem = '1GB'"))
            .execute(&mut admin)
            .await
            .unwrap();
        let made = demo::create_postgres(url.as_str(), &role, "r34d-only", true).await;
        if attributes.is_empty() {
            // A role that can only log in is reused, its settings reset.
            made.unwrap();
            let settings: Option<Vec<String>> =
                sqlx::query_scalar("SELECT rolconfig FROM pg_roles WHERE rolname = $1")
                    .bind(&role)
                    .fetch_one(&mut admin)
                    .await
                    .unwrap();
            assert_eq!(settings, None, "{role}");
            run(format!("DROP SCHEMA {} CASCADE", demo::SCHEMA))
                .execute(&mut admin)
                .await
                .unwrap();
            run(format!("DROP OWNED BY {role}"))
                .execute(&mut admin)
                .await
                .unwrap();
        } else {
            let refused = made.unwrap_err().to_string();
            assert!(
                refused.contains("may do more than log in"),
                "{role}: {refused}"
            );
        }
        run(format!("DROP ROLE {role}"))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}
