//! The validator against a corpus: hostile or unsafe statements, all refused;
//! legitimate SELECTs, all accepted; and legitimate forms the parser cannot
//! read, refused as "cannot be verified" (never passed).
//!
//! Besides the lists below (Oracle, the first review), `corpus/*.tsv` holds
//! statements in the three dialects, one a line: `dialect`, `class`, why,
//! the statement (`\n` in it is a line break). `hostile.tsv` is organised
//! by class (relations the parser
//! misreads or the policy denies; functions that reach outside the query;
//! writes; lexer tricks where the checker and the database could read the
//! text differently; statements that could crash a parser; names folded
//! otherwise than the database folds them; values built past a bound, or
//! searches PostgreSQL or Oracle cannot interrupt), each refused;
//! `legit.tsv` holds analyst queries, each accepted; `resources.tsv` holds
//! statements the validator accepts whose cost the executor bounds (see
//! `read_only_runs.rs`), SQLite's searches among them (its worker is killed
//! inside a call).

use pstral_core::sql::Dialect;
use pstral_core::sql::validate::{Policy, Refusal, validate};

fn policy() -> Policy {
    Policy::new(Dialect::Oracle).allowing(&["CRM", "SALES"])
}

pub(crate) const HOSTILE: &[&str] = &[
    // DML and DDL
    "DELETE FROM clients",
    "DELETE clients WHERE id = 1",
    "UPDATE clients SET nom = 'x'",
    "INSERT INTO clients (id) VALUES (1)",
    "INSERT INTO clients SELECT * FROM clients",
    "MERGE INTO clients c USING dual ON (1=1) WHEN MATCHED THEN UPDATE SET c.nom = 'x'",
    "TRUNCATE TABLE clients",
    "DROP TABLE clients",
    "DROP USER crm CASCADE",
    "CREATE TABLE t AS SELECT * FROM clients",
    "CREATE OR REPLACE VIEW v AS SELECT * FROM clients",
    "ALTER TABLE clients ADD x NUMBER",
    "ALTER SESSION SET CURRENT_SCHEMA = sys",
    "ALTER SYSTEM KILL SESSION '1,2'",
    "GRANT DBA TO crm",
    "REVOKE SELECT ON clients FROM public",
    "RENAME clients TO old_clients",
    "COMMENT ON TABLE clients IS 'x'",
    "LOCK TABLE clients IN EXCLUSIVE MODE",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT a",
    "SET TRANSACTION READ WRITE",
    "CALL dbms_lock.sleep(10)",
    "EXEC dbms_lock.sleep(10)",
    "EXPLAIN PLAN FOR SELECT * FROM clients",
    "ANALYZE TABLE clients COMPUTE STATISTICS",
    "PURGE RECYCLEBIN",
    "FLASHBACK TABLE clients TO BEFORE DROP",
    // PL/SQL
    "BEGIN DELETE FROM clients; END;",
    "DECLARE x NUMBER; BEGIN x := 1; END;",
    "BEGIN EXECUTE IMMEDIATE 'DROP TABLE clients'; END;",
    "CREATE OR REPLACE FUNCTION f RETURN NUMBER IS BEGIN RETURN 1; END;",
    "CREATE OR REPLACE TRIGGER t BEFORE INSERT ON clients BEGIN NULL; END;",
    "WITH FUNCTION f RETURN NUMBER IS BEGIN RETURN 1; END; SELECT f FROM dual",
    // several statements
    "SELECT 1 FROM dual; DELETE FROM clients",
    "SELECT 1 FROM dual; SELECT 2 FROM dual",
    "SELECT * FROM clients;\nDROP TABLE clients;",
    // locks
    "SELECT * FROM clients FOR UPDATE",
    "SELECT * FROM clients FOR UPDATE NOWAIT",
    "SELECT * FROM clients FOR UPDATE SKIP LOCKED",
    "SELECT * FROM clients FOR UPDATE OF nom",
    "SELECT * FROM clients FOR UPDATE WAIT 5",
    "SELECT * FROM (SELECT * FROM clients FOR UPDATE)",
    // database links
    "SELECT * FROM clients@prod",
    "SELECT * FROM crm.clients@prod",
    "SELECT * FROM clients@\"PROD.EXAMPLE.COM\"",
    "SELECT nom FROM dual WHERE EXISTS (SELECT 1 FROM clients@prod)",
    "SELECT f@prod(1) FROM dual",
    "SELECT * FROM t1 JOIN t2@prod ON t1.id = t2.id",
    // denied packages and functions, also hidden
    "SELECT dbms_lock.sleep(10) FROM dual",
    "SELECT DBMS_PIPE.RECEIVE_MESSAGE('x', 10) FROM dual",
    "SELECT sys.dbms_lock.sleep(5) FROM dual",
    "SELECT utl_http.request('http://evil.example') FROM dual",
    "SELECT UTL_INADDR.get_host_address('x') FROM dual",
    "SELECT utl_file.fopen('/tmp', 'x', 'w') FROM dual",
    "SELECT * FROM clients WHERE nom = dbms_random.string('x', 5)",
    "SELECT * FROM clients WHERE id IN (SELECT dbms_lock.sleep(1) FROM dual)",
    "WITH x AS (SELECT utl_http.request('http://e') r FROM dual) SELECT * FROM x",
    "SELECT (SELECT dbms_xmlgen.getxml('select * from dba_users') FROM dual) FROM dual",
    "SELECT * FROM TABLE(dbms_xplan.display_cursor())",
    "SELECT httpuritype('http://evil.example').getclob() FROM dual",
    "SELECT sys.httpuritype.createuri('http://e').getclob() FROM dual",
    "SELECT CASE WHEN 1=1 THEN dbms_lock.sleep(3) END FROM dual",
    "SELECT nom FROM clients ORDER BY dbms_random.value",
    "SELECT nom FROM clients GROUP BY nom HAVING COUNT(*) > dbms_lock.sleep(1)",
    "SELECT \"DBMS_LOCK\".\"SLEEP\"(5) FROM dual",
    "SELECT /* harmless */ dbms_lock . sleep(5) FROM dual",
    "SELECT owa_util.get_cgi_env('x') FROM dual",
    "SELECT apex_web_service.make_rest_request('http://e', 'GET') FROM dual",
    "SELECT nom FROM clients UNION SELECT utl_http.request('http://e') FROM dual",
    "SELECT nom FROM clients MINUS SELECT dbms_random.string('x',1) FROM dual",
    // sequences
    "SELECT seq_clients.NEXTVAL FROM dual",
    "SELECT crm.seq_clients.nextval FROM dual",
    // SELECT INTO
    "SELECT nom INTO v_nom FROM clients WHERE id = 1",
    // dictionary and other schemas
    "SELECT * FROM all_users",
    "SELECT username, password FROM dba_users",
    "SELECT * FROM sys.user$",
    "SELECT * FROM v$session",
    "SELECT * FROM gv$sql",
    "SELECT * FROM user_tab_columns",
    "SELECT * FROM hr.employees",
    "SELECT * FROM system.help",
    "SELECT * FROM crm.clients c JOIN hr.salaries s ON s.id = c.id",
    "SELECT * FROM x.y.z",
    // found in review: dictionary synonyms, schemas of functions, CTE masks,
    // server files, query-in-a-string
    "SELECT * FROM session_privs",
    "SELECT * FROM dict",
    "SELECT * FROM global_name",
    "SELECT hr.payroll.salary_of(42) FROM dual",
    "SELECT * FROM TABLE(hr.pkg.rows())",
    "WITH a AS (SELECT username FROM all_users), all_users AS (SELECT 1 AS x FROM dual) SELECT a.username FROM a, all_users",
    "SELECT TO_CLOB(BFILENAME('DATA_PUMP_DIR', 'export.log')) FROM dual",
    "SELECT * FROM XMLTABLE('fn:collection(\"oradb:/HR/SALARIES\")/ROW' COLUMNS amount NUMBER PATH 'AMOUNT') x",
    "SELECT SYS_CONTEXT('USERENV', 'IP_ADDRESS') FROM dual",
    "SELECT * FROM \"crm\".clients",
    // control characters and comment tricks
    "SELECT 1 FROM dual -- comment\u{000B}DROP TABLE clients",
    "SELECT 1 FROM dual -- comment\u{2028}DROP TABLE clients",
    "SELECT 1 FROM dual -- comment\rDROP TABLE clients",
    "SELECT 1 FROM dual\0",
    "",
    "   ;  ",
    "-- only a comment",
];

pub(crate) const LEGITIMATE: &[&str] = &[
    "SELECT * FROM clients",
    "SELECT nom, ville FROM clients WHERE ville = 'Lyon'",
    "SELECT nom FROM clients WHERE ROWNUM <= 10",
    "SELECT * FROM (SELECT nom FROM clients ORDER BY nom) WHERE ROWNUM <= 5",
    "SELECT nom FROM clients ORDER BY nom FETCH FIRST 10 ROWS ONLY",
    "SELECT nom FROM clients ORDER BY nom OFFSET 10 ROWS FETCH NEXT 10 ROWS ONLY",
    "SELECT nom FROM clients FETCH FIRST 5 PERCENT ROWS ONLY",
    "SELECT nom FROM clients ORDER BY ca DESC FETCH FIRST 3 ROWS WITH TIES",
    "SELECT employee_id, manager_id, LEVEL FROM employes START WITH manager_id IS NULL CONNECT BY PRIOR employee_id = manager_id",
    "SELECT LPAD(' ', 2 * LEVEL) || nom FROM employes CONNECT BY NOCYCLE PRIOR id = manager_id START WITH id = 1",
    "SELECT SYS_CONNECT_BY_PATH(nom, '/') FROM employes START WITH manager_id IS NULL CONNECT BY PRIOR id = manager_id",
    "SELECT c.nom, p.montant FROM clients c, paiements p WHERE c.id = p.client_id(+)",
    "SELECT c.nom, SUM(p.montant) OVER (PARTITION BY c.id ORDER BY p.date_paiement) FROM clients c JOIN paiements p ON p.client_id = c.id",
    "SELECT nom, RANK() OVER (ORDER BY ca DESC) AS rang FROM clients",
    "SELECT nom, DENSE_RANK() OVER (PARTITION BY ville ORDER BY ca DESC) FROM clients",
    "SELECT nom, ROW_NUMBER() OVER (ORDER BY nom) rn FROM clients",
    "SELECT nom, LAG(ca) OVER (ORDER BY annee) FROM bilans",
    "SELECT nom, LEAD(ca, 1, 0) OVER (ORDER BY annee) FROM bilans",
    "SELECT ville, LISTAGG(nom, ', ') WITHIN GROUP (ORDER BY nom) FROM clients GROUP BY ville",
    "SELECT * FROM (SELECT ville, statut FROM contrats) PIVOT (COUNT(*) FOR statut IN ('ACTIF' AS actif, 'CLOS' AS clos))",
    "SELECT * FROM ventes UNPIVOT (montant FOR trimestre IN (t1, t2, t3, t4))",
    "SELECT SYSDATE FROM dual",
    "SELECT 1 FROM DUAL",
    "SELECT q'[L'entreprise]' FROM dual",
    "SELECT q'{it's}' AS texte FROM dual",
    "SELECT /*+ INDEX(c clients_idx) */ nom FROM clients c",
    "SELECT /*+ PARALLEL(4) */ COUNT(*) FROM paiements",
    "SELECT nom FROM clients MINUS SELECT nom FROM prospects",
    "SELECT nom FROM clients UNION ALL SELECT nom FROM prospects",
    "SELECT nom FROM clients INTERSECT SELECT nom FROM partenaires",
    "SELECT nom FROM clients WHERE date_creation >= TO_DATE('2025-01-01', 'YYYY-MM-DD')",
    "SELECT TRUNC(date_paiement, 'MM') mois, SUM(montant) FROM paiements GROUP BY TRUNC(date_paiement, 'MM')",
    "SELECT ADD_MONTHS(SYSDATE, -3) FROM dual",
    "SELECT MONTHS_BETWEEN(date_fin, date_debut) FROM contrats",
    "SELECT EXTRACT(YEAR FROM date_paiement) FROM paiements",
    "SELECT TO_CHAR(date_paiement, 'DD/MM/YYYY') FROM paiements",
    "SELECT NVL(telephone, 'inconnu') FROM clients",
    "SELECT NVL2(email, 'oui', 'non') FROM clients",
    "SELECT DECODE(statut, 'A', 'Actif', 'C', 'Clos', 'Autre') FROM contrats",
    "SELECT COALESCE(email, telephone, '-') FROM clients",
    "SELECT CASE WHEN ca > 100000 THEN 'grand' ELSE 'petit' END FROM clients",
    "SELECT nom || ' (' || ville || ')' FROM clients",
    "SELECT UPPER(nom), LOWER(ville), INITCAP(nom) FROM clients",
    "SELECT SUBSTR(nom, 1, 3), INSTR(nom, 'a') FROM clients",
    "SELECT REGEXP_LIKE(email, '^[a-z]+@') FROM clients",
    "SELECT nom FROM clients WHERE REGEXP_LIKE(email, '@exemple\\.fr$')",
    "SELECT REGEXP_REPLACE(telephone, '[^0-9]', '') FROM clients",
    "SELECT ROUND(montant, 2), CEIL(montant), FLOOR(montant) FROM paiements",
    "SELECT ville, COUNT(*), AVG(ca), MAX(ca), MIN(ca) FROM clients GROUP BY ville HAVING COUNT(*) > 2",
    "SELECT ville, COUNT(DISTINCT nom) FROM clients GROUP BY ROLLUP(ville)",
    "SELECT ville, statut, COUNT(*) FROM clients GROUP BY CUBE(ville, statut)",
    "WITH gros AS (SELECT * FROM clients WHERE ca > 100000) SELECT nom FROM gros",
    "WITH a AS (SELECT 1 x FROM dual), b AS (SELECT x + 1 y FROM a) SELECT * FROM b",
    "SELECT nom FROM clients c WHERE EXISTS (SELECT 1 FROM contrats k WHERE k.client_id = c.id)",
    "SELECT nom FROM clients WHERE id NOT IN (SELECT client_id FROM contrats)",
    "SELECT nom, (SELECT COUNT(*) FROM contrats k WHERE k.client_id = c.id) nb FROM clients c",
    "SELECT c.nom, k.numero FROM clients c LEFT OUTER JOIN contrats k ON k.client_id = c.id",
    "SELECT c.nom, k.numero FROM clients c FULL OUTER JOIN contrats k ON k.client_id = c.id",
    "SELECT c.nom FROM clients c CROSS JOIN dual",
    "SELECT * FROM clients NATURAL JOIN contrats",
    "SELECT * FROM crm.clients",
    "SELECT c.nom FROM crm.clients c JOIN sales.commandes o ON o.client_id = c.id",
    "SELECT \"Nom\" FROM \"CRM\".\"CLIENTS\"",
    "SELECT COUNT(*) FROM paiements WHERE montant BETWEEN 100 AND 1000",
    "SELECT nom FROM clients WHERE nom LIKE 'Du%' ESCAPE '\\'",
    "SELECT DISTINCT ville FROM clients",
    "SELECT * FROM clients ORDER BY 2 DESC NULLS LAST",
    "SELECT nom FROM clients WHERE ville IS NOT NULL",
    "SELECT CAST(montant AS VARCHAR2(20)) FROM paiements",
    "SELECT TO_NUMBER('42') FROM dual",
    "SELECT SYSTIMESTAMP, CURRENT_DATE FROM dual",
    "SELECT DATE '2025-01-01' FROM dual",
    "SELECT TIMESTAMP '2025-01-01 10:00:00' FROM dual",
    "SELECT INTERVAL '3' DAY FROM dual",
    "SELECT date_paiement + INTERVAL '1' MONTH FROM paiements",
    "SELECT GREATEST(a, b), LEAST(a, b) FROM mesures",
    "SELECT MOD(id, 2), ABS(solde), SIGN(solde) FROM comptes",
    "SELECT LENGTH(nom), TRIM(nom), REPLACE(nom, ' ', '_') FROM clients",
    "SELECT nom FROM clients SAMPLE (10)",
    "SELECT updated_at, deleted_flag, created_by FROM clients",
    "SELECT nom AS \"drop table\" FROM clients",
    "SELECT 'DELETE FROM clients' AS texte FROM dual",
    "SELECT MAX(nom) KEEP (DENSE_RANK FIRST ORDER BY ca) FROM clients",
    "SELECT '; DROP TABLE clients; --' FROM dual",
    "SELECT nom FROM clients -- les clients\nWHERE ville = 'Paris'",
    "SELECT nom /* DELETE */ FROM clients",
    "SELECT * FROM clients;",
    "select nom from clients where rownum < 3",
    "SELECT user_name FROM clients",
    "SELECT c.* FROM clients c WHERE c.id = 1",
    "SELECT * FROM crm.user_accounts",
    "SELECT * FROM CRM.all_orders",
];

/// Legitimate Oracle that sqlparser 0.63 cannot parse: refused as "cannot be
/// verified" — safe, but a user meets it. Listed in the issue's note.
pub(crate) const UNPARSABLE_LEGITIMATE: &[&str] = &[
    // A method call on a value: Oracle's object methods and PostgreSQL's
    // `(x).f`, which PostgreSQL reads as `f(x)`, look the same.
    "SELECT department_id, XMLAGG(XMLELEMENT(\"e\", last_name || ',')).getClobVal() FROM employees GROUP BY department_id",
    "SELECT * FROM clients AS OF TIMESTAMP SYSDATE - 1",
    "SELECT * FROM clients AS OF SCN 12345",
];

#[test]
fn every_hostile_statement_is_refused() {
    assert!(HOSTILE.len() >= 80, "{} hostile statements", HOSTILE.len());
    for sql in HOSTILE {
        if let Ok(v) = validate(sql, &policy()) {
            panic!("accepted a hostile statement: {sql:?} → {v:?}");
        }
    }
}

#[test]
fn every_legitimate_select_is_accepted() {
    assert!(
        LEGITIMATE.len() >= 80,
        "{} legitimate statements",
        LEGITIMATE.len()
    );
    let mut refused = Vec::new();
    for sql in LEGITIMATE {
        if let Err(r) = validate(sql, &policy()) {
            refused.push(format!("{sql}\n    → {r}"));
        }
    }
    assert!(
        refused.is_empty(),
        "refused legitimate statements:\n{}",
        refused.join("\n")
    );
}

#[test]
fn what_cannot_be_parsed_is_refused_as_unverifiable() {
    for sql in UNPARSABLE_LEGITIMATE {
        match validate(sql, &policy()) {
            Err(Refusal::CannotVerify(_)) => {}
            other => panic!("{sql}: expected 'cannot be verified', got {other:?}"),
        }
    }
    // A composite column's field: written like a call of `city(address)`.
    assert!(matches!(
        validate(
            "SELECT (address).city FROM customers",
            &Policy::new(Dialect::Postgres)
        ),
        Err(Refusal::CannotVerify(_))
    ));
}

#[test]
fn refusals_say_why_in_words_a_user_understands() {
    let cases = [
        ("DELETE FROM clients", "not a SELECT"),
        ("SELECT * FROM clients@prod", "another database"),
        ("SELECT dbms_lock.sleep(1) FROM dual", "dbms_lock.sleep"),
        ("SELECT * FROM hr.employees", "schema `HR`"),
        ("SELECT 1 FROM dual; SELECT 2 FROM dual", "2 statements"),
    ];
    for (sql, expected) in cases {
        let refusal = validate(sql, &policy()).unwrap_err();
        let text = pstral_core::i18n::Sql::Refused(&refusal).render(pstral_core::i18n::Lang::En);
        assert!(text.contains(expected), "{sql}: {text}");
        let fr = pstral_core::i18n::Sql::Refused(&refusal).render(pstral_core::i18n::Lang::Fr);
        assert!(fr.starts_with("Cette requête ne sera pas exécutée"), "{fr}");
    }
}

#[test]
fn the_text_that_runs_is_the_text_that_was_checked() {
    let v = validate("  SELECT nom FROM clients ;;\n", &policy()).unwrap();
    assert_eq!(v.text, "SELECT nom FROM clients");
    assert_eq!(v.objects, ["clients"]);
}

#[test]
fn postgres_and_sqlite_dialects_guard_their_own_dangers() {
    let pg = Policy::new(Dialect::Postgres).allowing(&["public"]);
    for sql in [
        "SELECT pg_sleep(10)",
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT lo_import('/etc/passwd')",
        "SELECT set_config('role', 'postgres', false)",
        "SELECT nextval('clients_id_seq')",
        "WITH d AS (DELETE FROM clients RETURNING *) SELECT * FROM d",
        "SELECT * FROM pg_catalog.pg_authid",
        "SELECT * FROM information_schema.tables",
        "COPY clients TO '/tmp/x'",
        "SELECT * FROM clients FOR SHARE",
        // found in review: lexer disagreements and table functions
        "SELECT $€$, '$€$ AS a, pg_advisory_lock(42) AS b, $€$' AS c, $€$d",
        "SELECT U&\"\\0070g_terminate_backend\"(g) FROM generate_series(1, 99999) AS g",
        "SELECT * FROM LATERAL pg_advisory_lock(42) AS l",
        "SELECT * FROM dblink_exec('dbname=app', 'DELETE FROM clients') AS r",
        "SELECT * FROM dblink('host=attacker.example', 'select 1') AS t(x int)",
        "WITH pg_stat_activity AS (SELECT * FROM pg_stat_activity) SELECT usename FROM pg_stat_activity",
        "SELECT table_to_xml('hr.salaries', true, false, '')",
        "SELECT * FROM ts_stat('SELECT to_tsvector(query) FROM pg_stat_activity')",
        "SELECT version()",
        "SELECT current_setting('data_directory')",
        "SELECT txid_current()",
        "SELECT * FROM public.clients WHERE id = $1",
    ] {
        assert!(validate(sql, &pg).is_err(), "postgres accepted {sql}");
    }
    assert!(validate("SELECT nom FROM public.clients LIMIT 5", &pg).is_ok());
    let lite = Policy::new(Dialect::Sqlite);
    for sql in [
        "SELECT load_extension('evil')",
        "SELECT * FROM sqlite_master",
        "ATTACH DATABASE '/tmp/x' AS x",
        "PRAGMA writable_schema = 1",
        "SELECT (WITH sqlite_master AS (SELECT 1) SELECT 1) AS z, sql FROM sqlite_master",
        "SELECT * FROM pragma_database_list",
    ] {
        assert!(validate(sql, &lite).is_err(), "sqlite accepted {sql}");
    }
    assert!(validate("SELECT nom FROM clients LIMIT 5", &lite).is_ok());
}

/// One line of a `corpus/*.tsv` file.
pub(crate) struct Case {
    pub(crate) dialect: Dialect,
    class: String,
    why: String,
    pub(crate) sql: String,
}

pub(crate) fn corpus(file: &str) -> Vec<Case> {
    let path = format!("{}/tests/pstral/corpus/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.splitn(4, '\t').collect();
            let [dialect, class, why, sql] = fields[..] else {
                panic!("{file}: not dialect<TAB>class<TAB>why<TAB>statement: {line:?}");
            };
            Case {
                dialect: dialect.parse().unwrap(),
                class: class.to_owned(),
                why: why.to_owned(),
                // `\n` (two characters) stands for a line break.
                sql: sql.replace("\\n", "\n"),
            }
        })
        .collect()
}

#[test]
fn every_hostile_statement_of_every_class_and_dialect_is_refused() {
    let cases = corpus("hostile.tsv");
    for class in [
        "relations",
        "functions",
        "writes",
        "lexer",
        "crash",
        "folding",
        "building",
    ] {
        for dialect in [Dialect::Oracle, Dialect::Postgres, Dialect::Sqlite] {
            assert!(
                cases
                    .iter()
                    .any(|c| c.class == class && c.dialect == dialect),
                "no {class} case in {dialect}"
            );
        }
    }
    let accepted: Vec<String> = cases
        .iter()
        .filter(|c| validate(&c.sql, &Policy::new(c.dialect)).is_ok())
        .map(|c| format!("{} [{}] {}: {}", c.dialect, c.class, c.why, c.sql))
        .collect();
    assert!(
        accepted.is_empty(),
        "accepted {} hostile statements:\n{}",
        accepted.len(),
        accepted.join("\n")
    );
}

#[test]
fn every_legitimate_query_of_every_dialect_is_accepted() {
    let refused: Vec<String> = corpus("legit.tsv")
        .iter()
        .filter_map(|c| {
            validate(&c.sql, &Policy::new(c.dialect))
                .err()
                .map(|r| format!("{} ({}): {}\n    → {r}", c.dialect, c.why, c.sql))
        })
        .collect();
    assert!(
        refused.is_empty(),
        "refused legitimate statements:\n{}",
        refused.join("\n")
    );
}

#[test]
fn every_resource_statement_passes_the_validator_for_the_executor_to_bound() {
    // Those of class `resources` are bounded where they run (weighed
    // before, limited during, cut on the way out), not refused by reading
    // them: the validator lets them through for those bounds to be what
    // holds (each one's figures are in its line and in
    // benches/sql_resources.tsv). Those of class `refused` were once, and
    // are now refused by the validator's own bounds.
    let cases = corpus("resources.tsv");
    let wrong: Vec<String> = cases
        .iter()
        .filter(|c| validate(&c.sql, &Policy::new(c.dialect)).is_ok() != (c.class == "resources"))
        .map(|c| format!("{} [{}] ({}): {}", c.dialect, c.class, c.why, c.sql))
        .collect();
    assert!(
        cases
            .iter()
            .all(|c| ["resources", "refused"].contains(&c.class.as_str())),
        "a class other than resources or refused"
    );
    assert!(
        wrong.is_empty(),
        "{} resource statements judged otherwise than their class says:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The catalogue of a small CRM in each dialect's own spelling.
fn catalog(dialect: Dialect) -> pstral_core::sql::schema::Catalog {
    use pstral_core::sql::schema::{Catalog, CatalogTable};
    let name = |n: &str| match dialect {
        Dialect::Oracle => n.to_uppercase(),
        _ => n.to_owned(),
    };
    let table = |schema: Option<&str>, n: &str| CatalogTable {
        schema: schema.map(name),
        name: name(n),
        comment: None,
        columns: ["id", "nom", "client_id", "numero", "montant"]
            .into_iter()
            .map(|c| pstral_core::sql::schema::CatalogColumn {
                name: name(c),
                type_name: "TEXT".to_owned(),
                nullable: true,
                comment: None,
                collation: None,
            })
            .collect(),
        primary_key: Vec::new(),
        foreign_keys: Vec::new(),
    };
    Catalog {
        tables: vec![
            table(None, "clients"),
            table(None, "contrats"),
            table(Some("crm"), "paiements"),
        ],
        values: Vec::new(),
        ..Default::default()
    }
}

#[test]
fn with_the_catalogue_only_its_tables_and_views_are_read() {
    use pstral_core::sql::validate::validate_in;
    for dialect in [Dialect::Oracle, Dialect::Postgres, Dialect::Sqlite] {
        let policy = Policy::new(dialect).allowing(&["crm"]);
        let catalog = catalog(dialect);
        let from = if dialect == Dialect::Oracle {
            " FROM dual"
        } else {
            ""
        };
        for ok in [
            "SELECT nom FROM clients".to_owned(),
            "SELECT c.nom, k.numero FROM clients c JOIN contrats k ON k.client_id = c.id"
                .to_owned(),
            "SELECT SUM(p.montant) FROM crm.paiements p".to_owned(),
            "WITH gros AS (SELECT * FROM clients) SELECT * FROM gros".to_owned(),
            format!("SELECT 1{from}"),
        ] {
            if let Err(r) = validate_in(&ok, &policy, Some(&catalog)) {
                panic!("{dialect}: refused {ok}: {r}");
            }
        }
        for hostile in [
            // Not in the catalogue, whatever the spelling.
            "SELECT * FROM employees_salaries",
            "SELECT * FROM ONLY clients",
            "SELECT * FROM clients_archive",
            "SELECT * FROM crm.clients",
            "SELECT * FROM hr.paiements",
            "SELECT * FROM \"CLIENTS\".x",
            "SELECT * FROM pg_authid",
            "SELECT * FROM sqlite_master",
            "SELECT * FROM all_users",
            "SELECT * FROM dbstat",
            // A CTE does not see itself unless recursive: this reads the
            // real table, which is not in the catalogue.
            "WITH pg_user AS (SELECT * FROM pg_user) SELECT * FROM pg_user",
        ] {
            assert!(
                matches!(
                    validate_in(hostile, &policy, Some(&catalog)),
                    Err(Refusal::NotInCatalog(_)
                        | Refusal::SchemaNotAllowed { .. }
                        | Refusal::DeniedObject(_)
                        | Refusal::CannotVerify(_))
                ),
                "{dialect}: accepted {hostile}"
            );
        }
    }
    // PostgreSQL reads `t.f` as `f(t)` when t has no column f: with the
    // catalogue, only the table's columns may be qualified.
    let pg = Policy::new(Dialect::Postgres);
    let crm = catalog(Dialect::Postgres);
    assert!(validate_in("SELECT c.nom FROM clients c", &pg, Some(&crm)).is_ok());
    assert!(validate_in("SELECT c.pg_column_size FROM clients c", &pg, Some(&crm)).is_err());
    assert!(
        validate_in(
            "SELECT clients.pg_column_size FROM clients",
            &pg,
            Some(&crm)
        )
        .is_err()
    );
    // On a subquery's alias the columns are its own: a name that is neither
    // a catalogue column nor an alias of the statement is a call.
    assert!(
        validate_in(
            "SELECT d.pg_column_size FROM (SELECT * FROM clients) d",
            &pg,
            Some(&crm)
        )
        .is_err()
    );
    for ok in [
        "SELECT d.nom, d.total FROM (SELECT nom, count(*) AS total FROM clients GROUP BY nom) d",
        "WITH t AS (SELECT nom FROM clients) SELECT t.nom FROM t",
    ] {
        assert!(validate_in(ok, &pg, Some(&crm)).is_ok(), "{ok}");
    }
    // Names are compared as each database folds them: a CTE whose name
    // Unicode would fold to a real table's does not hide it (PostgreSQL and
    // SQLite fold ASCII letters only; Oracle's rule for other letters is
    // its own, so they are refused unquoted).
    for dialect in [Dialect::Oracle, Dialect::Postgres, Dialect::Sqlite] {
        let policy = Policy::new(dialect);
        let mut with_secret = catalog(dialect);
        with_secret
            .tables
            .retain(|t| t.name.eq_ignore_ascii_case("clients"));
        for hostile in [
            "WITH contrat\u{212A}eys AS (SELECT 1 AS x) SELECT x FROM contratkeys",
            "WITH contrats AS (SELECT 1 AS x) SELECT x FROM contrat\u{17F}",
            "WITH pg_loc\u{212A}s AS (SELECT 1 AS pid) SELECT pid FROM pg_locks",
            "WITH a_\u{17F}ecret AS (SELECT 1 AS x) SELECT x FROM a_secret",
            "WITH sqlite_ma\u{17F}ter AS (SELECT 1 AS x) SELECT x FROM sqlite_master",
        ] {
            assert!(
                validate_in(hostile, &policy, Some(&with_secret)).is_err(),
                "{dialect}: accepted {hostile}"
            );
        }
        // The same CTE written in another ASCII case is the same name.
        let from = if dialect == Dialect::Oracle {
            " FROM dual"
        } else {
            ""
        };
        let ok = format!("WITH Secrets AS (SELECT 1 AS x{from}) SELECT x FROM SECRETS");
        assert!(
            validate_in(&ok, &policy, Some(&with_secret)).is_ok(),
            "{dialect}: refused {ok}"
        );
    }
    // PostgreSQL resolves pg_… in pg_catalog first, whatever the business
    // schema holds.
    let pg = Policy::new(Dialect::Postgres);
    let mut shadowed = catalog(Dialect::Postgres);
    shadowed.tables[0].name = "pg_settings".to_owned();
    assert!(validate_in("SELECT * FROM pg_settings", &pg, Some(&shadowed)).is_err());
}

#[test]
fn a_statement_of_a_megabyte_or_of_a_hundred_thousand_terms_is_refused_without_a_crash() {
    // 1.2 MB, 100,000 terms.
    let chained = format!("SELECT 1{}", " + 1.0000000".repeat(100_000));
    let nested = format!("SELECT {}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let wide = format!("SELECT {} FROM clients", vec!["nom"; 100_000].join(", "));
    let long_literal = format!("SELECT '{}' FROM clients", "x".repeat(1_000_000));
    for sql in [chained, nested, wide, long_literal] {
        assert!(sql.len() >= 200_000);
        for dialect in [Dialect::Oracle, Dialect::Postgres, Dialect::Sqlite] {
            assert!(
                matches!(
                    validate(&sql, &Policy::new(dialect)),
                    Err(Refusal::TooLarge(_))
                ),
                "{dialect}: {}…",
                &sql[..40]
            );
        }
    }
}

#[test]
fn functions_outside_the_allow_list_are_refused_with_their_name_and_the_remedy() {
    let refusal = validate(
        "SELECT soundex_fr(nom) FROM clients",
        &Policy::new(Dialect::Postgres),
    )
    .unwrap_err();
    let text = pstral_core::i18n::Sql::Refused(&refusal).render(pstral_core::i18n::Lang::En);
    assert!(
        text.contains("soundex_fr") && text.contains("sql.allowed_functions"),
        "{text}"
    );
    let mut policy = Policy::new(Dialect::Postgres);
    policy.allowed_functions = vec!["soundex_fr".to_owned()];
    assert!(validate("SELECT soundex_fr(nom) FROM clients", &policy).is_ok());
}
