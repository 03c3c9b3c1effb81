//! Local user names: normalised (NFKC, lower case), in one script, and never
//! a lookalike of a name already taken; and which identities may be linked.

use super::*;

/// A name a person can read without being fooled: letters and digits that
/// UTS #39 allows in identifiers (no invisible filler, no control or
/// bidirectional character, no full-width or mathematical letter), '.',
/// '_', '-', one script only (no Cyrillic а inside a Latin name).
pub(super) fn check_name(name: &str) -> Result<(), IdentityError> {
    use unicode_security::{GeneralSecurityProfile, MixedScript};
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && !name.starts_with('-')
        && name == normal_name(name)
        && name.chars().all(|c| {
            matches!(c, '.' | '_' | '-') || (c.is_alphanumeric() && c.identifier_allowed())
        })
        && name.is_single_script();
    if ok {
        Ok(())
    } else {
        Err(IdentityError::BadName(name.to_owned()))
    }
}

/// A user name for an auto-created user, from the platform account's id,
/// never its display name: anyone can choose a display name that reads as
/// an admin's.
pub(super) fn auto_name(identity: &PlatformIdentity) -> String {
    let mut out = String::new();
    let id = format!("{}-{}", identity.platform(), identity.id());
    for c in id.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out: String = out.trim_end_matches('-').chars().take(48).collect();
    out.trim_end_matches('-').to_owned()
}

/// Refuses a name that reads like an existing user's (`аlice` with a
/// Cyrillic а beside `alice`): names are compared by their UTS #39
/// confusable skeleton.
pub(super) async fn refuse_lookalike_in(tx: &mut Tx, name: &str) -> Result<(), IdentityError> {
    let names: Vec<String> = on_tx!(tx, conn => {
        sqlx::query_scalar("SELECT name FROM users")
            .fetch_all(&mut **conn)
            .await?
    });
    let skeleton = |n: &str| unicode_security::skeleton(n).collect::<String>();
    let own = skeleton(name);
    match names.into_iter().find(|n| n != name && skeleton(n) == own) {
        Some(existing) => Err(IdentityError::Lookalike {
            name: name.to_owned(),
            existing,
        }),
        None => Ok(()),
    }
}

/// A user name as it is stored and compared: Unicode NFKC (full-width and
/// mathematical letters become plain ones), then lower case, so that
/// `Alice`, `ａｌｉｃｅ` and `alice` are one name.
pub fn normal_name(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = name.nfkc().collect::<String>().to_lowercase();
    folded.nfkc().collect()
}

/// Refuses what cannot be linked: an account of a platform that is not one
/// of `platforms` (the chat platforms of this build, as their adapters name
/// them: `api:`, `cli:` or a platform this build lacks are not), and a
/// terminal user unless from the CLI (`terminal_too`).
pub(super) fn check_linkable(
    platforms: &[pstral_chat::IdentitySyntax],
    identity: &PlatformIdentity,
    terminal_too: bool,
) -> Result<(), IdentityError> {
    let platform = identity.platform().as_str();
    if platforms.iter().any(|p| p.platform == platform) || (terminal_too && platform == "terminal")
    {
        Ok(())
    } else {
        Err(IdentityError::NotLinkable {
            account: identity.to_string(),
            platforms: platforms.iter().map(|p| p.platform).collect(),
        })
    }
}
