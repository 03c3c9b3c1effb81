//! Oracle. No Oracle server (nor its client library) can be had on the
//! machines this suite usually runs on, so the tests that need a server are
//! `#[ignore]`d with the reason, which cargo reports as ignored; `scripts/test`
//! runs them when `PSTRAL_TEST_ORACLE_URL` is set
//! (`oracle://USER:PASSWORD@HOST:PORT/SERVICE`; docker compose's
//! `oracle` service provides one). What needs no server runs always.

use std::time::Duration;

use pstral_core::sql::Dialect;
use pstral_core::sql::backend::oracle::{OracleExecutor, client_library};
use pstral_core::sql::backend::{ExecError, Executor, Limits};
use pstral_core::sql::render::Preview;
use pstral_core::sql::validate::{Policy, validate};

/// A closed listener, or a missing client library, is a clear error, never a
/// crash or a hang: whichever this machine shows.
#[tokio::test]
async fn an_unreachable_oracle_is_a_clear_error() {
    let result =
        OracleExecutor::connect("reader".into(), "x".into(), "127.0.0.1:1/FREEPDB1".into()).await;
    let Err(ExecError::Unavailable(reason)) = result else {
        panic!("expected Unavailable, got {:?}", result.err());
    };
    match client_library() {
        Err(missing) => {
            assert!(
                reason.contains("Oracle client library") && reason.contains("LD_LIBRARY_PATH"),
                "{reason}"
            );
            assert!(missing.contains("DPI-1047"), "{missing}");
        }
        // With the client installed, the listener's refusal is what counts.
        Ok(_) => assert!(
            reason.contains("ORA-12541") || reason.to_lowercase().contains("listener"),
            "{reason}"
        ),
    }
}

fn oracle_url() -> (String, String, String) {
    let raw = std::env::var("PSTRAL_TEST_ORACLE_URL")
        .expect("PSTRAL_TEST_ORACLE_URL is set for these tests");
    let url = url::Url::parse(&raw).expect("oracle://USER:PASSWORD@HOST:PORT/SERVICE");
    let connect = format!(
        "{}:{}{}",
        url.host_str().unwrap(),
        url.port().unwrap_or(1521),
        url.path()
    );
    (
        url.username().to_owned(),
        url.password().unwrap_or_default().to_owned(),
        connect,
    )
}

async fn oracle() -> OracleExecutor {
    let (user, password, connect) = oracle_url();
    OracleExecutor::connect(user, password, connect)
        .await
        .expect("the test Oracle answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an Oracle server: set PSTRAL_TEST_ORACLE_URL"]
async fn oracle_renders_every_column_type_faithfully() {
    let exec = oracle().await;
    let sql = "SELECT CAST(12345678901234567890.0123456789 AS NUMBER(30,10)) n, CAST('Zoé' AS VARCHAR2(10)) v, \
               CAST('ab' AS CHAR(3)) c, DATE '2025-02-28' d, TIMESTAMP '2025-02-28 13:45:00.5 +01:00' tz, \
               INTERVAL '3' DAY i, TO_CLOB('long text') cl, HEXTORAW('CAFE') r, NULL z FROM dual";
    let query = validate(sql, &Policy::new(Dialect::Oracle)).unwrap();
    let mut preview = Preview::new(10);
    let outcome = exec
        .run(
            &query,
            Limits::new(10, Duration::from_secs(30)),
            &mut preview,
        )
        .await
        .unwrap();
    assert_eq!(outcome.rows, 1);
    let row: Vec<Option<&str>> = preview.rows[0].iter().map(|c| c.as_deref()).collect();
    assert_eq!(row[0], Some("12345678901234567890.0123456789"));
    assert_eq!(row[1], Some("Zoé"));
    assert_eq!(row[2], Some("ab "));
    assert!(row[3].unwrap().starts_with("2025-02-28"));
    assert!(row[4].unwrap().contains("13:45:00.5"));
    assert_eq!(row[6], Some("long text"));
    assert_eq!(row[7], Some("CAFE"));
    assert_eq!(row[8], None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs an Oracle server: set PSTRAL_TEST_ORACLE_URL"]
async fn oracle_caps_rows_times_out_and_explains() {
    let exec = oracle().await;
    let policy = Policy::new(Dialect::Oracle);
    let many = validate("SELECT LEVEL n FROM dual CONNECT BY LEVEL <= 1000", &policy).unwrap();
    let mut preview = Preview::new(5);
    let outcome = exec
        .run(
            &many,
            Limits::new(100, Duration::from_secs(30)),
            &mut preview,
        )
        .await
        .unwrap();
    assert_eq!((outcome.rows, outcome.truncated), (100, true));
    let slow = validate(
        "SELECT COUNT(*) FROM dual CONNECT BY LEVEL <= 100000000",
        &policy,
    )
    .unwrap();
    let err = exec
        .run(
            &slow,
            Limits::new(1, Duration::from_millis(500)),
            &mut Preview::new(1),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, ExecError::Timeout(_)), "{err}");
    let plan = exec
        .explain(&many, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert!(plan.cost.is_some(), "{plan:?}");
    let err = exec
        .explain(
            &validate("SELECT x FROM no_such_table", &policy).unwrap(),
            std::time::Duration::from_secs(10),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ExecError::Database(m) if m.contains("ORA-00942")),
        "{err}"
    );
}
