//! Invite codes: made by an admin, for one named chat account when the admin
//! knows it (always, for an admin), sent by the person in a DM to link their
//! account; burnt when seen anywhere others could read them, however they
//! were written; limited in how often a wrong one may be tried.

use super::*;

/// A fresh invite code, shown once to the admin who made it.
#[derive(Debug, Clone)]
pub struct Invite {
    pub code: String,
    pub user: String,
    /// The one chat account that may redeem it, when it names one.
    pub for_identity: Option<PlatformIdentity>,
    pub expires_at: DateTime<Utc>,
}

/// An invite code found in a text, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCode {
    pub code: String,
    /// Not used, burnt or expired yet.
    pub live: bool,
}

/// Failed invite attempts allowed per identity and per code in
/// [`ATTEMPT_WINDOW`]: enough for typing mistakes, far too few to guess.
pub(super) const MAX_ATTEMPTS: u32 = 5;
pub(super) const ATTEMPT_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The codes that have not expired, read once, to look for in the texts of
/// one event: [`Directory::code_finder`].
#[derive(Debug, Default)]
pub struct CodeFinder {
    /// Hash of each code → whether it is still live (not used or burnt).
    known: HashMap<String, bool>,
}

impl CodeFinder {
    /// Whether no code is known: nothing can be found.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// The codes written anywhere in `text`, used or not, however they were
    /// written: the text is read as redemption reads a code
    /// ([`normal_code`]: compatibility forms folded, every character but
    /// ASCII letters and digits dropped, so spaces, dashes, dots and
    /// invisible characters inside a code hide nothing), and every run of
    /// ten of what remains is compared with the codes. Each code is
    /// returned once, normalised, with whether it is still live.
    pub fn codes_in(&self, text: &str) -> Vec<FoundCode> {
        let mut found: Vec<FoundCode> = Vec::new();
        if self.is_empty() {
            return found;
        }
        // As written; as shown once markup is taken out (a formatted body's
        // `<b>ABCDE</b>-<i>…</i>`: the tags' letters would split it) and
        // character references read (`&#65;`); as a link's percent-encoding
        // reads; and backwards ("read it from the end").
        let written = normal_code(text);
        let shown = normal_code(&decode_references(&without_tags(text)));
        let unescaped = normal_code(&percent_decoded(text));
        let backwards: String = written.chars().rev().collect();
        for normal in [written, shown, unescaped, backwards] {
            for start in 0..normal.len().saturating_sub(CODE_LETTERS - 1) {
                let window = &normal[start..start + CODE_LETTERS];
                if let Some(&live) = self.known.get(&hash_normal(window))
                    && !found.iter().any(|f| f.code == window)
                {
                    found.push(FoundCode {
                        code: window.to_owned(),
                        live,
                    });
                }
            }
        }
        found
    }

    /// The live codes written anywhere in `text` ([`CodeFinder::codes_in`]).
    pub fn live_codes_in(&self, text: &str) -> Vec<String> {
        self.codes_in(text)
            .into_iter()
            .filter(|f| f.live)
            .map(|f| f.code)
            .collect()
    }

    /// Live codes given in two halves, the first ending `before` (the
    /// author's previous message here), the second in the short `text`:
    /// "first half ABCDE", then "second half FGHJK". Every way of taking
    /// the code's first letters from the end of one and the rest from the
    /// other is tried, so only short messages are read this way.
    pub fn live_codes_across(&self, before: &str, text: &str) -> Vec<String> {
        const SHORT: usize = 48;
        let first = normal_code(before);
        let first = &first[first.len().saturating_sub(SHORT)..];
        let second = normal_code(text);
        let mut found: Vec<String> = Vec::new();
        if self.is_empty() || first.is_empty() || second.is_empty() || second.len() > SHORT {
            return found;
        }
        for k in 1..CODE_LETTERS {
            for a in 0..first.len() {
                let Some(head) = first.get(a..a + k) else {
                    break;
                };
                for b in 0..second.len() {
                    let Some(tail) = second.get(b..b + CODE_LETTERS - k) else {
                        break;
                    };
                    let code = format!("{head}{tail}");
                    if self.known.get(&hash_normal(&code)) == Some(&true) && !found.contains(&code)
                    {
                        found.push(code);
                    }
                }
            }
        }
        found
    }
}

impl Directory {
    /// The codes that have not expired, read now, to look for in texts.
    ///
    /// # Errors
    /// A store failure.
    pub async fn code_finder(&self) -> Result<CodeFinder, IdentityError> {
        let known: Vec<(String, bool)> = on_pool!(&self.store, pool => {
            sqlx::query_as(
                "SELECT code_hash, used_at IS NULL FROM invites WHERE expires_at > $1",
            )
            .bind(Utc::now())
            .fetch_all(pool)
            .await?
        });
        Ok(CodeFinder {
            known: known.into_iter().collect(),
        })
    }

    /// The codes written anywhere in `text` that have not expired (see
    /// [`CodeFinder::codes_in`]).
    ///
    /// # Errors
    /// A store failure.
    pub async fn codes_in(&self, text: &str) -> Result<Vec<FoundCode>, IdentityError> {
        Ok(self.code_finder().await?.codes_in(text))
    }

    /// The live invite codes written anywhere in `text` (see
    /// [`CodeFinder::codes_in`]).
    ///
    /// # Errors
    /// A store failure.
    pub async fn live_codes_in(&self, text: &str) -> Result<Vec<String>, IdentityError> {
        Ok(self.code_finder().await?.live_codes_in(text))
    }

    /// Burns `code` if it is a live invite: it was said where others could
    /// see it (`place`, not a DM with the bot), so nobody may use it any
    /// more. Audited (without the code) when a code was burnt, or when the
    /// person meant it as one (`meant`: the link command). Returns whether a
    /// live code was burnt.
    ///
    /// # Errors
    /// A store failure.
    pub async fn burn_invite(
        &self,
        code: &str,
        identity: Option<&PlatformIdentity>,
        place: &Place,
        meant: bool,
    ) -> Result<bool, IdentityError> {
        let mut tx = self.store.begin().await?;
        let burnt: Option<i64> = on_tx!(&mut tx, conn => {
            sqlx::query_scalar(
                "UPDATE invites SET used_at = $1, used_by = $2 \
                 WHERE code_hash = $3 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
            )
            .bind(Utc::now())
            .bind(format!("burnt: seen in {}:{}", place.platform, place.channel))
            .bind(code_hash(code))
            .fetch_optional(&mut **conn)
            .await?
        });
        let owner: Option<String> = match burnt {
            Some(id) => on_tx!(&mut tx, conn => {
                sqlx::query_scalar("SELECT name FROM users WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut **conn)
                    .await?
            }),
            None => None,
        };
        if burnt.is_some() || meant {
            let mut event = NewEvent::new(
                EventKind::AccessRefused,
                Actor {
                    user_id: None,
                    identity: identity.cloned(),
                },
                json!({"reason": "invite_seen_in_public", "burnt": burnt.is_some(), "invited": owner}),
            );
            event.place = Some(place.clone());
            Audit::append_in(&mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(burnt.is_some())
    }

    /// Counts a failed attempt of `identity` with the code hashed `hash`;
    /// true when either has failed too often in the window.
    fn too_many_attempts(&self, identity: &PlatformIdentity, hash: &str, failed: bool) -> bool {
        let add = u32::from(failed);
        [format!("id:{identity}"), format!("code:{hash}")]
            .iter()
            .map(|key| self.count_in_window(key, add))
            .fold(false, |over, count| over | (count >= MAX_ATTEMPTS))
    }

    /// Makes a one-time code that links to `name` the account that sends it
    /// to the bot in a DM: only `for_identity` when given, anyone's
    /// otherwise. Only its hash is stored.
    ///
    /// # Errors
    /// [`IdentityError::UnknownUser`], [`IdentityError::NotLinkable`] (not a
    /// chat account), [`IdentityError::InviteNeedsAccount`] (an admin's
    /// invite that names no account), or a store failure.
    pub async fn create_invite(
        &self,
        name: &str,
        for_identity: Option<&PlatformIdentity>,
        actor: Actor,
    ) -> Result<Invite, IdentityError> {
        if let Some(identity) = for_identity {
            check_linkable(&self.platforms, identity, false)?;
        }
        let mut tx = self.store.begin().await?;
        let user = find_user_in(&mut tx, name)
            .await?
            .ok_or_else(|| IdentityError::UnknownUser(name.to_owned()))?;
        // An admin account is worth stealing: its code must be of no use to
        // whoever overhears it, so it names the one account it is for.
        if user.role == Role::Admin && for_identity.is_none() {
            return Err(IdentityError::InviteNeedsAccount(user.name));
        }
        let code = new_invite_code();
        let now = Utc::now();
        let ttl = chrono::Duration::from_std(self.settings.invite_ttl)
            .unwrap_or(chrono::Duration::days(7));
        let expires_at = now + ttl;
        on_tx!(&mut tx, conn => {
            sqlx::query(
                "INSERT INTO invites (code_hash, user_id, created_at, expires_at, for_identity) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(code_hash(&code))
            .bind(user.id)
            .bind(now)
            .bind(expires_at)
            .bind(for_identity.map(ToString::to_string))
            .execute(&mut **conn)
            .await?;
        });
        // The code itself never reaches the audit: whoever reads the audit
        // could otherwise use it.
        let event = NewEvent::new(
            EventKind::InviteCreated,
            actor,
            json!({
                "user": user.name,
                "for": for_identity.map(ToString::to_string),
                "expires_at": expires_at.to_rfc3339(),
            }),
        );
        Audit::append_in(&mut tx, event).await?;
        tx.commit().await?;
        Ok(Invite {
            code,
            user: user.name,
            for_identity: for_identity.cloned(),
            expires_at,
        })
    }

    /// Consumes an invite code sent by `identity`, linking it to the code's
    /// user. A failed attempt is audited too.
    ///
    /// # Errors
    /// [`IdentityError::InviteUnknown`], [`IdentityError::InviteExpired`],
    /// [`IdentityError::InviteUsed`], [`IdentityError::AlreadyLinked`], or a
    /// store failure.
    pub async fn consume_invite(
        &self,
        code: &str,
        identity: &PlatformIdentity,
        place: Option<&Place>,
    ) -> Result<User, IdentityError> {
        let actor = Actor {
            user_id: None,
            identity: Some(identity.clone()),
        };
        let hash = code_hash(code);
        let result = if self.too_many_attempts(identity, &hash, false) {
            Err(IdentityError::TooManyAttempts)
        } else {
            self.try_consume(code, identity, actor.clone(), place).await
        };
        if let Err(e) = &result {
            let reason = match e {
                IdentityError::InviteUnknown => "invite_unknown",
                IdentityError::InviteExpired => "invite_expired",
                IdentityError::InviteUsed => "invite_used",
                IdentityError::AlreadyLinked { .. } => "already_linked",
                IdentityError::TooManyAttempts => "invite_attempts",
                IdentityError::InviteForAnother => "invite_for_another_account",
                IdentityError::InviteNeedsAccount(_) => "invite_names_no_account",
                _ => return result,
            };
            if matches!(e, IdentityError::TooManyAttempts) {
                // The lock-out is audited when it begins; the knocks on it
                // after that cost no row each.
                if self.count_in_window(&format!("locked:{identity}"), 1) > 1 {
                    return result;
                }
            } else {
                self.too_many_attempts(identity, &hash, true);
            }
            let mut event =
                NewEvent::new(EventKind::AccessRefused, actor, json!({"reason": reason}));
            event.place = place.cloned();
            self.audit.append(event).await?;
        }
        result
    }

    async fn try_consume(
        &self,
        code: &str,
        identity: &PlatformIdentity,
        actor: Actor,
        place: Option<&Place>,
    ) -> Result<User, IdentityError> {
        let hash = code_hash(code);
        let mut tx = self.store.begin().await?;
        // An account created on first contact (a viewer, this identity its
        // only one) may still take the invite meant for the person: the
        // identity moves to the invited user, once the code is claimed.
        let mut leaving: Option<User> = None;
        if let Some(user) = user_of_in(&mut tx, identity).await? {
            let (auto_created, identities): (bool, i64) = on_tx!(&mut tx, conn => {
                sqlx::query_as(
                    "SELECT u.auto_created, (SELECT COUNT(*) FROM identities i WHERE i.user_id = u.id) \
                     FROM users u WHERE u.id = $1",
                )
                .bind(user.id)
                .fetch_one(&mut **conn)
                .await?
            });
            if !(auto_created && user.role == Role::Viewer && identities == 1) {
                return Err(IdentityError::AlreadyLinked {
                    identity: identity.to_string(),
                    user: user.name,
                });
            }
            leaving = Some(user);
        }
        type Row = (i64, DateTime<Utc>, Option<DateTime<Utc>>, Option<String>);
        let invite: Option<Row> = on_tx!(&mut tx, conn => {
            sqlx::query_as(
                "SELECT user_id, expires_at, used_at, for_identity FROM invites WHERE code_hash = $1",
            )
            .bind(&hash)
            .fetch_optional(&mut **conn)
            .await?
        });
        let (user_id, expires_at, used_at, for_identity) =
            invite.ok_or(IdentityError::InviteUnknown)?;
        let now = Utc::now();
        if used_at.is_some() {
            return Err(IdentityError::InviteUsed);
        }
        if expires_at <= now {
            return Err(IdentityError::InviteExpired);
        }
        // Left live for the account it names: someone who overheard it
        // cannot use it, and must not be able to spoil it either.
        if for_identity
            .as_deref()
            .is_some_and(|f| f != identity.to_string())
        {
            return Err(IdentityError::InviteForAnother);
        }
        // The `used_at IS NULL` guard makes the code single-use even when two
        // PostgreSQL replicas race on it: the loser updates no row.
        let claimed = on_tx!(&mut tx, conn => {
            sqlx::query(
                "UPDATE invites SET used_at = $1, used_by = $2 WHERE code_hash = $3 AND used_at IS NULL",
            )
            .bind(now)
            .bind(identity.to_string())
            .bind(&hash)
            .execute(&mut **conn)
            .await?
            .rows_affected()
        });
        if claimed != 1 {
            return Err(IdentityError::InviteUsed);
        }
        let user: User = on_tx!(&mut tx, conn => {
            sqlx::query_as("SELECT id, name, role, created_at FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_one(&mut **conn)
                .await?
        });
        // Judged as the user is now: a code made for a viewer who has since
        // become an admin names no account, so it gives nothing.
        if user.role == Role::Admin && for_identity.is_none() {
            return Err(IdentityError::InviteNeedsAccount(user.name));
        }
        let actor = Actor {
            user_id: Some(user.id),
            ..actor
        };
        if leaving.is_some() {
            unlink_in(&mut tx, identity, actor.clone()).await?;
        }
        link_in(&mut tx, &user, identity, actor, "invite", place).await?;
        tx.commit().await?;
        Ok(user)
    }
}

/// The code of a message that is the link command written as words (`link
/// CODE`, `!link CODE`, `/link CODE`, `lier CODE`), as the help and the
/// refusals say it.
pub fn link_words(text: &str) -> Option<&str> {
    let text = text.trim();
    let text = text.strip_prefix(['!', '/']).unwrap_or(text);
    let (word, code) = text.split_once(char::is_whitespace)?;
    let code = code.trim();
    let is_link = word.eq_ignore_ascii_case("link") || word.eq_ignore_ascii_case("lier");
    (is_link && !code.is_empty() && !code.contains(char::is_whitespace)).then_some(code)
}

/// Letters in a code, without its dash.
const CODE_LETTERS: usize = 10;

/// A code, or a text that may hold one, as redemption reads it: Unicode
/// compatibility forms folded (full-width and mathematical letters become
/// plain ones), then only ASCII letters and digits kept, upper-cased. A
/// person may type the code in any case, with or without the dash, spaced
/// or dotted; what reads as the same code is the same code.
///
/// A letter that only looks like one of the code's (a Cyrillic А, a Greek
/// Ο) is read as the letter it looks like, and Crockford's aliases as the
/// digits they stand for (O for 0, I and L for 1): generated codes never
/// hold those letters, so a code written with them is still that code.
pub(super) fn normal_code(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut plain = String::with_capacity(text.len());
    for c in text.nfkc() {
        if c.is_ascii() {
            plain.push(c);
        } else {
            plain.extend(unicode_security::skeleton(&c.to_string()));
        }
    }
    plain
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

/// HTML character references read (`&#65;`, `&#x41;`), named ones
/// (`&ndash;`) taken as a space: a formatted body as its reader sees it.
fn decode_references(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        let end = tail
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        match end {
            Some(end) => {
                let name = &tail[..end];
                let decoded = match name.strip_prefix('#') {
                    Some(n) => match n.strip_prefix(['x', 'X'].as_slice()) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => n.parse::<u32>().ok(),
                    }
                    .and_then(char::from_u32),
                    None => Some(' '),
                };
                match decoded {
                    Some(c) if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '#') => {
                        out.push(c);
                        rest = &tail[end + 1..];
                    }
                    _ => {
                        out.push('&');
                        rest = tail;
                    }
                }
            }
            None => {
                out.push('&');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `%41`-style escapes of ASCII read: a code inside a link.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
            && b.is_ascii()
        {
            out.push(b as char);
            i += 3;
            continue;
        }
        let c = text[i..].chars().next().expect("at a char boundary");
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// `text` without anything between `<` and `>`: what a reader sees of HTML.
fn without_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn hash_normal(normal: &str) -> String {
    hex::encode(Sha256::digest(normal.as_bytes()))
}

/// The stored form of a code: the hash of its normal form.
pub(super) fn code_hash(code: &str) -> String {
    hash_normal(&normal_code(code))
}

/// Ten characters of Crockford's base-32 (no I, L, O, U to misread), 50 bits:
/// with a single use and an expiry, far beyond guessing through a chat.
pub(super) fn new_invite_code() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rng();
    let chars: String = (0..10)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}
