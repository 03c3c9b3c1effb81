//! The `[sql]` table and its Execute targets, validated into the SQL
//! module's own settings: the policy's lists, the limits, the role that
//! confirms examples, and each target's kind, connection and files.

use super::*;

impl Validator {
    pub(super) fn sql(&mut self, raw: RawSql, data_dir: &Path, groups: &[String]) -> SqlSettings {
        self.sql_names(&raw);
        let targets: Vec<Target> = raw
            .targets
            .iter()
            .filter_map(|(name, t)| self.target(name, t, data_dir, groups))
            .collect();
        let target = self.chosen_target(&raw.target, &targets);
        // Read before the policy takes the lists out of `raw`; no problem
        // comes between.
        let limits = self.limits(&raw);
        SqlSettings {
            allow_privileged_account: raw.allow_privileged_account,
            policy: {
                // The configured patterns add to the built-in ones: a list
                // with one extra name must not silently drop the rest.
                let mut policy = crate::sql::validate::Policy::new(target.dialect());
                policy.allowed_schemas = raw.allowed_schemas;
                policy.allowed_functions = raw.allowed_functions;
                policy.denied_functions.extend(raw.denied_functions);
                policy.denied_objects.extend(raw.denied_objects);
                policy
            },
            target,
            targets,
            limits,
            preview_rows: self.whole("sql.preview_rows", raw.preview_rows, 0..=200) as usize,
            csv_bom: raw.csv_bom,
            charts: self
                .choice(
                    "sql.charts",
                    &raw.charts,
                    &[
                        ("auto", crate::sql::Charts::Auto),
                        ("off", crate::sql::Charts::Off),
                    ],
                )
                .unwrap_or_default(),
            explain: raw.explain,
            ask_again_without_sql: raw.ask_again_without_sql,
            candidates: self.candidates(raw.candidates, raw.candidate_temperature),
            schema_budget: self.whole("sql.schema_budget", raw.schema_budget, 0..=100_000) as usize,
            examples_budget: self.whole("sql.examples_budget", raw.examples_budget, 0..=100_000)
                as usize,
            plan_votes: self.plan_votes(
                raw.plan_votes,
                raw.plan_temperature,
                &raw.ask_back,
                raw.unsure_below,
            ),
            plan_examples: self.whole(
                "sql.plan_examples",
                raw.plan_examples,
                0..=crate::learn::MAX_SHOWN as i64,
            ) as usize,
            free_prompt: self
                .named_list(
                    "sql.free_prompt",
                    &raw.free_prompt,
                    &crate::sql::PromptPart::ALL,
                    crate::sql::PromptPart::as_str,
                    "a part of the SQL prompt",
                )
                .into_iter()
                .collect(),
            instructions_budget: self.whole(
                "sql.instructions_budget",
                raw.instructions_budget,
                0..=100_000,
            ) as usize,
            confirm_role: self.confirm_role(&raw.confirm_role),
            schema_refresh: self.duration("sql.schema_refresh", &raw.schema_refresh),
            private_results: self.places("sql.private_results", &raw.private_results),
        }
    }

    /// The target `sql.target` names among `targets`; a placeholder when
    /// none is named so, reported.
    fn chosen_target(&mut self, name: &str, targets: &[Target]) -> Target {
        match targets.iter().find(|t| t.name == name) {
            Some(t) => t.clone(),
            None => {
                let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
                self.problem(
                    "sql.target",
                    format!(
                        "there is no [sql.targets.{name}]; the targets are {}",
                        names.join(", ")
                    ),
                );
                Target {
                    name: name.to_owned(),
                    kind: TargetKind::Sqlite(PathBuf::from("data/demo.db")),
                    instructions_file: None,
                    semantic: Default::default(),
                    today: None,
                    weigh_plans: true,
                    accounts: Vec::new(),
                }
            }
        }
    }

    /// `sql.candidates` and `sql.candidate_temperature`: how many answers
    /// are drawn, and how warm the further ones.
    fn candidates(&mut self, count: i64, temperature: f64) -> crate::sql::Candidates {
        crate::sql::Candidates {
            count: self.whole("sql.candidates", count, 1..=16) as usize,
            temperature: self.between("sql.candidate_temperature", temperature, (0.0, 2.0), 0.7),
        }
    }

    /// `sql.plan_votes`, `sql.plan_temperature`, `sql.ask_back` and
    /// `sql.unsure_below`: how many plans are drawn, how warm the further
    /// ones, and on which doubts the bot asks back.
    fn plan_votes(
        &mut self,
        count: i64,
        temperature: f64,
        ask_back: &[String],
        unsure_below: f64,
    ) -> crate::sql::PlanVotes {
        crate::sql::PlanVotes {
            count: self.whole("sql.plan_votes", count, 1..=9) as usize,
            temperature: self.between("sql.plan_temperature", temperature, (0.0, 2.0), 0.5),
            ask_back: self.named_list(
                "sql.ask_back",
                ask_back,
                &crate::sql::Doubt::ALL,
                crate::sql::Doubt::as_str,
                "a signal of doubt",
            ),
            unsure_below: self.between("sql.unsure_below", unsure_below, (0.0, 1.0), 0.5),
        }
    }

    /// `sql.confirm_role`: the role that confirms examples.
    fn confirm_role(&mut self, role: &str) -> crate::identity::Role {
        match role.parse::<crate::identity::Role>() {
            Ok(role) => role,
            Err(e) => {
                // Reported, so the settings are refused whole; the
                // value is never used.
                self.problem("sql.confirm_role", e.to_string());
                crate::identity::Role::Admin
            }
        }
    }

    /// The names and patterns of schemas, functions and objects: each a
    /// name, and no function allowed that the bot must never call.
    fn sql_names(&mut self, raw: &RawSql) {
        for (key, list) in [
            ("sql.allowed_schemas", &raw.allowed_schemas),
            ("sql.allowed_functions", &raw.allowed_functions),
            ("sql.denied_functions", &raw.denied_functions),
            ("sql.denied_objects", &raw.denied_objects),
        ] {
            if let Some(bad) = list
                .iter()
                .find(|s| s.trim().is_empty() || s.contains(char::is_whitespace))
            {
                self.problem(key, format!("{bad:?} is not a name or pattern"));
            }
        }
        for name in &raw.allowed_functions {
            if let Some(why) = crate::sql::validate::functions::refuse_in_configuration(name) {
                self.problem(
                    "sql.allowed_functions",
                    format!("{name:?} cannot be allowed: it {why}"),
                );
            }
        }
    }

    /// A click's bounds: rows, time, result, temporary disk and memory.
    fn limits(&mut self, raw: &RawSql) -> crate::sql::backend::Limits {
        let mib = |n: i64| n as u64 * 1024 * 1024;
        crate::sql::backend::Limits {
            row_cap: self.whole("sql.row_cap", raw.row_cap, 1..=1_000_000) as u64,
            timeout: self.duration("sql.timeout", &raw.timeout),
            max_result_bytes: mib(self.whole("sql.max_result_mib", raw.max_result_mib, 1..=16_384)),
            max_temp_bytes: mib(self.whole("sql.max_temp_mib", raw.max_temp_mib, 1..=1_048_576)),
            max_memory_bytes: mib(self.whole("sql.max_memory_mib", raw.max_memory_mib, 8..=65_536)),
        }
    }

    /// `value` when it is within `(low, high)`; else `fallback`, and a
    /// problem under `key`.
    fn between(&mut self, key: &str, value: f64, (low, high): (f64, f64), fallback: f64) -> f64 {
        if (low..=high).contains(&value) {
            value
        } else {
            self.problem(
                key,
                format!("must be between {low} and {high}, got {value}"),
            );
            fallback
        }
    }

    /// Places named "PLATFORM:CHANNEL" (or "PLATFORM:*", every channel of
    /// a platform), reported under `key`.
    pub(super) fn places(&mut self, key: &str, entries: &[String]) -> Vec<(String, String)> {
        entries
            .iter()
            .filter_map(|entry| {
                let parsed = entry
                    .split_once(':')
                    .filter(|(p, c)| !p.is_empty() && !c.is_empty() && !c.contains(' '));
                if parsed.is_none() {
                    self.problem(
                        key,
                        format!("expected \"PLATFORM:CHANNEL\" or \"PLATFORM:*\", got {entry:?}"),
                    );
                }
                parsed.map(|(p, c)| (p.to_owned(), c.to_owned()))
            })
            .collect()
    }

    /// A target's (or a group account's) kind from its `url` and
    /// `password_file`, reported under `key`.
    fn target_kind(
        &mut self,
        key: &str,
        url: &str,
        password_file: &str,
        data_dir: &Path,
    ) -> Option<TargetKind> {
        let password = self.password_file(key, url, password_file);
        let kind = if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            TargetKind::Sqlite(self.in_data_dir(key, path, data_dir, false))
        } else {
            match Url::parse(url) {
                Ok(mut url)
                    if matches!(url.scheme(), "postgres" | "postgresql")
                        && url.host().is_some() =>
                {
                    if let Some(p) = &password {
                        use secrecy::ExposeSecret;
                        let _ = url.set_password(Some(p.expose_secret()));
                    }
                    TargetKind::Postgres(DatabaseUrl::Postgres(url))
                }
                Ok(url)
                    if url.scheme() == "oracle"
                        && url.host().is_some()
                        && !url.username().is_empty() =>
                {
                    let password = match (url.password(), password) {
                        (_, Some(p)) => Some(RedactedSecret(p)),
                        (Some(inline), None) => {
                            Some(RedactedSecret(SecretString::from(inline.to_owned())))
                        }
                        (None, None) => None,
                    };
                    let host = url.host_str().unwrap_or_default();
                    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
                    TargetKind::Oracle {
                        user: url.username().to_owned(),
                        password,
                        connect: format!("{host}{port}{}", url.path()),
                    }
                }
                Ok(_) | Err(_) => {
                    self.problem(
                        key,
                        "expected sqlite:PATH, postgres://USER@HOST/DB or oracle://USER@HOST:PORT/SERVICE",
                    );
                    return None;
                }
            }
        };
        Some(kind)
    }

    fn target(
        &mut self,
        name: &str,
        raw: &RawTarget,
        data_dir: &Path,
        groups: &[String],
    ) -> Option<Target> {
        let key = format!("sql.targets.{name}.url");
        let kind = self.target_kind(&key, &raw.url, &raw.password_file, data_dir)?;
        let accounts = self.accounts(name, raw, &kind, data_dir, groups);
        let instructions_file = if raw.instructions_file.trim().is_empty() {
            None
        } else {
            let path = PathBuf::from(raw.instructions_file.trim());
            if let Err(e) = std::fs::read_to_string(&path) {
                self.problem(
                    &format!("sql.targets.{name}.instructions_file"),
                    format!("cannot read {}: {e}", path.display()),
                );
            }
            Some(path)
        };
        let semantic = match raw.semantic_file.trim() {
            "" => crate::sql::SemanticSource::Default,
            "off" => crate::sql::SemanticSource::Off,
            path => {
                let path = PathBuf::from(path);
                let key = format!("sql.targets.{name}.semantic_file");
                match std::fs::read_to_string(&path) {
                    Err(e) => self.problem(&key, format!("cannot read {}: {e}", path.display())),
                    Ok(text) => {
                        if let Err(e) = crate::semantic::Definitions::parse(&text)
                            .and_then(|d| d.check_names().map(|()| d))
                        {
                            self.problem(&key, format!("{}: {e}", path.display()));
                        }
                    }
                }
                crate::sql::SemanticSource::File(path)
            }
        };
        let today = match raw.today.trim() {
            "" => None,
            date => match chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d") {
                Ok(date) => Some(date),
                Err(_) => {
                    self.problem(
                        &format!("sql.targets.{name}.today"),
                        format!("expected a date as YYYY-MM-DD, or nothing for the clock's, not {date:?}"),
                    );
                    None
                }
            },
        };
        if !raw.weigh_plans && !matches!(kind, TargetKind::Postgres(DatabaseUrl::Postgres(_))) {
            self.problem(
                &format!("sql.targets.{name}.weigh_plans"),
                "only a PostgreSQL target's plans are weighed: false applies to none of this target's queries",
            );
        }
        Some(Target {
            name: name.to_owned(),
            kind,
            instructions_file,
            semantic,
            today,
            weigh_plans: raw.weigh_plans,
            accounts,
        })
    }

    /// A target's `accounts` ("GROUP = URL") with their
    /// `account_password_files` ("GROUP = PATH").
    fn accounts(
        &mut self,
        name: &str,
        raw: &RawTarget,
        kind: &TargetKind,
        data_dir: &Path,
        groups: &[String],
    ) -> Vec<(String, TargetKind)> {
        let key = format!("sql.targets.{name}.accounts");
        let files_key = format!("sql.targets.{name}.account_password_files");
        let pair = |entry: &String| {
            entry
                .split_once('=')
                .map(|(g, v)| (g.trim().to_owned(), v.trim().to_owned()))
                .filter(|(g, v)| !g.is_empty() && !v.is_empty())
        };
        let mut files = Vec::new();
        for entry in &raw.account_password_files {
            match pair(entry) {
                Some(file) => files.push(file),
                None => self.problem(
                    &files_key,
                    format!("expected \"GROUP = PATH\", got {entry:?}"),
                ),
            }
        }
        let mut accounts: Vec<(String, TargetKind)> = Vec::new();
        for entry in &raw.accounts {
            let Some((group, url)) = pair(entry) else {
                self.problem(&key, format!("expected \"GROUP = URL\", got {entry:?}"));
                continue;
            };
            if !groups.contains(&group) {
                self.problem(
                    &key,
                    format!(
                        "there is no [groups.{group}]; the groups are: {}",
                        groups.join(", ")
                    ),
                );
                continue;
            }
            if accounts.iter().any(|(g, _)| *g == group) {
                self.problem(
                    &key,
                    format!("{group} has two accounts; a group has one per target"),
                );
                continue;
            }
            if matches!(kind, TargetKind::Sqlite(_)) {
                self.problem(
                    &key,
                    "a SQLite target has no accounts: its hidden columns are refused on the statement alone",
                );
                break;
            }
            let file = files
                .iter()
                .find(|(g, _)| *g == group)
                .map_or("", |(_, f)| f.as_str());
            let Some(account) =
                self.target_kind(&format!("{key}.{group}.url"), &url, file, data_dir)
            else {
                continue;
            };
            if std::mem::discriminant(&account) != std::mem::discriminant(kind) {
                self.problem(
                    &key,
                    format!("{group}'s account is not on the target's kind of database"),
                );
                continue;
            }
            // Its statements are judged against the target's catalogue: run
            // on another database, they would read what no rule was checked
            // against.
            if account.database() != kind.database() {
                self.problem(
                    &key,
                    format!(
                        "{group}'s account reaches {}, not the target's database {}: a group's \
                         account is another login to the same database",
                        account.database(),
                        kind.database()
                    ),
                );
                continue;
            }
            accounts.push((group, account));
        }
        for (group, _) in &files {
            if !accounts.iter().any(|(g, _)| g == group) {
                self.problem(&files_key, format!("{group} has no account in {key}"));
            }
        }
        accounts
    }
}
