//! Any text, in each dialect, with and without a catalogue: the validator
//! answers (accepts or refuses) and never panics, overflows its stack or
//! allocates without bound; what it accepts is exactly the text it was given,
//! trimmed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pstral_fuzz::sql::Dialect;
use pstral_fuzz::sql::schema::{Catalog, CatalogColumn, CatalogTable};
use pstral_fuzz::sql::validate::{Policy, validate_in};

fn catalog() -> Catalog {
    let column = |name: &str| CatalogColumn {
        name: name.to_owned(),
        type_name: "TEXT".to_owned(),
        nullable: true,
        comment: None,
        collation: None,
    };
    Catalog {
        tables: vec![CatalogTable {
            schema: None,
            name: "clients".to_owned(),
            comment: None,
            columns: vec![column("id"), column("nom")],
            primary_key: Vec::new(),
            foreign_keys: Vec::new(),
        }],
        values: Vec::new(),
        ..Default::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    let catalog = catalog();
    for dialect in [Dialect::Oracle, Dialect::Postgres, Dialect::Sqlite] {
        let policy = Policy::new(dialect).allowing(&["crm"]);
        for known in [None, Some(&catalog)] {
            if let Ok(valid) = validate_in(sql, &policy, known) {
                assert!(sql.contains(valid.text.as_str()));
                assert!(!valid.text.is_empty());
            }
        }
    }
});
