//! Invite codes: made by an admin for one named chat account, sent by that
//! account in a DM to link it. A code works for the account it names and
//! for no other, so it needs no hiding: whoever reads it, in whatever form,
//! can do nothing with it, and their attempts neither use it up nor lock
//! its owner out. (For a person whose account the admin does not know,
//! [`super::requests`] links with no secret at all.)

use super::*;

/// A fresh invite code, shown once to the admin who made it.
#[derive(Debug, Clone)]
pub struct Invite {
    pub code: String,
    pub user: String,
    /// The one chat account that may redeem it.
    pub for_identity: PlatformIdentity,
    pub expires_at: DateTime<Utc>,
}

/// Failed invite attempts allowed per identity in [`ATTEMPT_WINDOW`]:
/// enough for typing mistakes, far too few to guess. Counted for the
/// account that tries, never for the code: another account's attempts
/// cannot lock the code's owner out.
pub(super) const MAX_ATTEMPTS: u32 = 5;
pub(super) const ATTEMPT_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

impl Directory {
    /// Counts a failed attempt of `identity` (when `failed`); true when it
    /// has failed too often in the window. Only the account that tries is
    /// counted: a code that others try stays its owner's to use.
    pub(super) fn too_many_attempts(&self, identity: &PlatformIdentity, failed: bool) -> bool {
        self.count_in_window(&format!("id:{identity}"), u32::from(failed)) >= MAX_ATTEMPTS
    }

    /// How long an invite, or a request to be linked, stays good
    /// (`identity.invite_ttl`).
    pub(super) fn invite_ttl(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.settings.invite_ttl).unwrap_or(chrono::Duration::days(7))
    }

    /// Makes a one-time code that links `for_identity` to `name` when that
    /// account sends it to the bot in a DM. Only its hash is stored.
    ///
    /// # Errors
    /// [`IdentityError::UnknownUser`], [`IdentityError::NotLinkable`] (not a
    /// chat account), [`IdentityError::AlreadyLinked`] (the account is
    /// someone's already), or a store failure.
    pub async fn create_invite(
        &self,
        name: &str,
        for_identity: &PlatformIdentity,
        actor: Actor,
    ) -> Result<Invite, IdentityError> {
        check_linkable(&self.platforms, for_identity, false)?;
        let mut tx = self.store.begin().await?;
        let user = find_user_in(&mut tx, name)
            .await?
            .ok_or_else(|| IdentityError::UnknownUser(name.to_owned()))?;
        // An account linked to someone already could never use it: said
        // now, to the admin, not to the person later.
        leaving_in(&mut tx, for_identity).await?;
        let code = new_invite_code();
        let now = Utc::now();
        let expires_at = now + self.invite_ttl();
        on_tx!(&mut tx, conn => {
            sqlx::query(
                "INSERT INTO invites (code_hash, user_id, created_at, expires_at, for_identity) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(code_hash(&code))
            .bind(user.id)
            .bind(now)
            .bind(expires_at)
            .bind(for_identity.to_string())
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
                "for": for_identity.to_string(),
                "expires_at": expires_at.to_rfc3339(),
            }),
        );
        Audit::append_in(&mut tx, event).await?;
        tx.commit().await?;
        Ok(Invite {
            code,
            user: user.name,
            for_identity: for_identity.clone(),
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
        let result = if self.too_many_attempts(identity, false) {
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
                IdentityError::InviteNamesNoAccount => "invite_names_no_account",
                _ => return result,
            };
            if matches!(e, IdentityError::TooManyAttempts) {
                // The lock-out is audited when it begins; the knocks on it
                // after that cost no row each.
                if self.count_in_window(&format!("locked:{identity}"), 1) > 1 {
                    return result;
                }
            } else {
                self.too_many_attempts(identity, true);
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
        let leaving = leaving_in(&mut tx, identity).await?;
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
        // Made before every invite named its account (migration 0011
        // withdrew those): it works for nobody.
        let Some(for_identity) = for_identity else {
            return Err(IdentityError::InviteNamesNoAccount);
        };
        // Judged first, and nothing changed: someone who read the code
        // learns nothing of it and cannot spoil it for its owner.
        if for_identity != identity.to_string() {
            return Err(IdentityError::InviteForAnother);
        }
        let now = Utc::now();
        if used_at.is_some() {
            return Err(IdentityError::InviteUsed);
        }
        if expires_at <= now {
            return Err(IdentityError::InviteExpired);
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

/// The argument of a message that is the link command written as words
/// (`link CODE`, `!link NAME`, `/link CODE`, `lier NAME`), as the help and
/// the refusals say it.
pub fn link_words(text: &str) -> Option<&str> {
    let text = text.trim();
    let text = text.strip_prefix(['!', '/']).unwrap_or(text);
    let (word, argument) = text.split_once(char::is_whitespace)?;
    let argument = argument.trim();
    let is_link = word.eq_ignore_ascii_case("link") || word.eq_ignore_ascii_case("lier");
    (is_link && !argument.is_empty() && !argument.contains(char::is_whitespace)).then_some(argument)
}

/// Whether `text`, the whole of a message, is written as an invite code is
/// (ten letters and digits, a dash or spaces between them): in a DM, such a
/// message is the link command. Nothing is looked for inside longer texts:
/// a code is of use to its own account only, so nothing needs finding.
pub fn is_code(text: &str) -> bool {
    let text = text.trim();
    text.chars().count() <= 2 * CODE_LETTERS
        && normal_code(text).len() == CODE_LETTERS
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | ' ' | '.'))
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
