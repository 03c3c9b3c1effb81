//! Local users, their roles, and the chat identities linked to them.
//!
//! A person is one local user with one [`Role`]; any number of platform
//! identities (`discord:…`, `matrix:@…`) link to them. Every message and every
//! click is resolved through here, at the moment it happens, so a role change
//! or an unlink takes effect on the next action. Every change is written to
//! the audit in the same transaction as the change itself.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use pstral_chat::{Place, PlatformIdentity};
use rand::Rng;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit::{Actor, Audit, AuditError, EventKind, NewEvent};
use crate::store::{Store, StoreError, Tx, on_pool, on_tx};

mod changes;
mod groups;
mod invites;
mod names;
mod requests;

use changes::*;
pub use invites::{Invite, is_code, link_words};
pub use names::normal_name;

/// Whether `name` may name a group: as a user's name may.
///
/// # Errors
/// [`IdentityError::BadName`].
pub fn check_group_name(name: &str) -> Result<(), IdentityError> {
    names::check_name(name)
}
use names::*;
pub use requests::{LinkAsked, LinkRequest};

/// How often, in a window, an unknown account is told (and the refusal
/// audited) that it is not linked: enough to be read, not a lever to make
/// the bot write without end.
pub const REFUSALS_TOLD: u32 = 3;

/// What happens when someone the bot does not know writes to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownPolicy {
    /// Answer with a polite refusal that says how to get linked.
    Refuse,
    /// Create a local user with the viewer role and link the identity to it.
    AutoViewer,
}

#[derive(Debug, Clone)]
pub struct IdentitySettings {
    pub unknown: UnknownPolicy,
    pub contact: String,
    pub invite_ttl: Duration,
}

/// What a local user may do. Each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// May chat with the bot.
    Viewer,
    /// May also run SQL on the Execute target.
    Executor,
    /// May also read the audit and manage users.
    Admin,
}

/// Something a role may or may not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Chat,
    Execute,
    Administer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Executor => "executor",
            Role::Admin => "admin",
        }
    }

    pub fn allows(self, permission: Permission) -> bool {
        let needed = match permission {
            Permission::Chat => Role::Viewer,
            Permission::Execute => Role::Executor,
            Permission::Administer => Role::Admin,
        };
        self >= needed
    }
}

impl Permission {
    /// The least role that has this permission.
    pub fn least_role(self) -> Role {
        [Role::Viewer, Role::Executor, Role::Admin]
            .into_iter()
            .find(|r| r.allows(self))
            .unwrap_or(Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "executor" => Ok(Role::Executor),
            "admin" => Ok(Role::Admin),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

impl TryFrom<String> for Role {
    type Error = UnknownRole;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: the roles are viewer, executor and admin")]
pub struct UnknownRole(String);

/// A local user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// A user with the chat identities linked to them, for listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserEntry {
    #[serde(flatten)]
    pub user: User,
    pub identities: Vec<String>,
    /// The groups they belong to, in name order.
    pub groups: Vec<String>,
    /// Disabled (or removed): refused when they act.
    pub disabled: bool,
}

/// The outcome of looking up who wrote to the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A linked identity.
    Known(User),
    /// An unknown identity, for whom the `auto_viewer` policy just made a user.
    Created(User),
    /// An unknown identity under the `refuse` policy: answer with
    /// [`Directory::refusal`].
    Refused,
    /// The same, refused too often lately ([`REFUSALS_TOLD`] times in
    /// [`invites::ATTEMPT_WINDOW`]): not audited again, not answered
    /// again, so that knocking costs the bot nothing.
    RefusedQuietly,
}

/// Why an identity operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("there is no user named {0:?}")]
    UnknownUser(String),
    #[error("a user named {0:?} already exists")]
    UserExists(String),
    #[error(
        "{0:?} is not a valid user name: 1 to 64 letters, digits, '.', '_' or '-', not starting with '-'"
    )]
    BadName(String),
    #[error("{identity} is already linked to {user}")]
    AlreadyLinked { identity: String, user: String },
    #[error("{0} is not linked to any user")]
    NotLinked(String),
    #[error("there is no group {group:?}; the configured groups are: {known}")]
    UnknownGroup { group: String, known: String },
    #[error("this invite code is not valid")]
    InviteUnknown,
    #[error("this invite code has expired")]
    InviteExpired,
    #[error("this invite code has already been used")]
    InviteUsed,
    #[error("too many invite attempts; try again later")]
    TooManyAttempts,
    #[error("this invite code is for another chat account")]
    InviteForAnother,
    #[error("this invite code names no chat account; ask an admin for a new one")]
    InviteNamesNoAccount,
    #[error("{0} has not asked to be linked (or the request has expired)")]
    NoLinkRequest(String),
    #[error(
        "{identity} now asks to be {asked:?}, not the user named in the approval: list the requests again and approve what it asks, or deny it"
    )]
    RequestChanged { identity: String, asked: String },
    #[error("{0} is disabled: enable the user first")]
    UserDisabled(String),
    #[error(
        "{name:?} looks like the existing user {existing:?}; choose a name that reads differently"
    )]
    Lookalike { name: String, existing: String },
    #[error(
        "{account} cannot be linked: only accounts of this build's chat platforms ({}) can (and, from the CLI, a terminal user)",
        match platforms.as_slice() {
            [] => "none".to_owned(),
            some => some.join(", "),
        }
    )]
    NotLinkable {
        account: String,
        /// The chat platforms of this build, by name.
        platforms: Vec<&'static str>,
    },
    #[error(
        "{0} is the last admin: with no admin left, nobody could manage users or read the audit (the CLI can force it with --allow-no-admin)"
    )]
    LastAdmin(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl From<sqlx::Error> for IdentityError {
    fn from(e: sqlx::Error) -> Self {
        IdentityError::Store(StoreError::from(e))
    }
}

/// The user with a name as written ($1) or as normalised ($2; see
/// [`normal_name`]): names stored before normalisation keep being found by
/// their own spelling, and the exact spelling wins.
const USER_BY_NAME: &str = "SELECT id, name, role, created_at FROM users WHERE name IN ($1, $2) \
     ORDER BY CASE WHEN name = $1 THEN 0 ELSE 1 END LIMIT 1";
/// The user a platform identity ($1, $2) is linked to.
/// A disabled user is nobody's: their identities resolve to no one, and
/// [`Directory::resolve`] refuses them.
const USER_BY_IDENTITY: &str = "SELECT u.id, u.name, u.role, u.created_at FROM users u \
     JOIN identities i ON i.user_id = u.id WHERE i.platform = $1 AND i.external_id = $2 \
     AND u.disabled_at IS NULL";

/// Users, identities and invites on the own database.
#[derive(Clone, Debug)]
pub struct Directory {
    store: Store,
    audit: Audit,
    settings: IdentitySettings,
    /// The chat platforms whose accounts may be linked: those this build's
    /// adapters bring (the binary says which), so that a new platform is a
    /// new adapter and nothing here.
    platforms: Arc<[pstral_chat::IdentitySyntax]>,
    /// Failed invite attempts, by identity and by code (see
    /// [`Directory::consume_invite`]).
    attempts: Arc<Mutex<HashMap<String, (std::time::Instant, u32)>>>,
    /// The configured groups, which a user may be put in.
    groups: Vec<String>,
}

impl Directory {
    /// A directory on `store`, linking accounts of the chat `platforms`.
    pub fn new(
        store: Store,
        settings: IdentitySettings,
        platforms: &[pstral_chat::IdentitySyntax],
    ) -> Self {
        Self {
            audit: Audit::new(store.clone()),
            store,
            settings,
            platforms: platforms.into(),
            attempts: Arc::default(),
            groups: Vec::new(),
        }
    }

    /// Uses `audit` (shared with the rest of the process, so that appends
    /// are combined) instead of a writer of its own.
    pub fn with_audit(mut self, audit: Audit) -> Self {
        self.audit = audit;
        self
    }

    /// Creates a local user.
    ///
    /// # Errors
    /// [`IdentityError::BadName`], [`IdentityError::UserExists`], or a store
    /// failure.
    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        actor: Actor,
    ) -> Result<User, IdentityError> {
        let name = &normal_name(name);
        check_name(name)?;
        let mut tx = self.store.begin().await?;
        if find_user_in(&mut tx, name).await?.is_some() {
            return Err(IdentityError::UserExists(name.to_owned()));
        }
        refuse_lookalike_in(&mut tx, name).await?;
        let user = insert_user(&mut tx, name, role, false).await?;
        let event = NewEvent::new(
            EventKind::UserChanged,
            actor,
            json!({"action": "created", "user": user.name, "role": role.as_str()}),
        );
        Audit::append_in(&mut tx, event).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Changes a user's role. It applies from the user's next action; a
    /// demoted admin's API tokens are revoked with it. The last admin is
    /// not demoted unless `allow_no_admin` (the CLI's explicit override).
    ///
    /// # Errors
    /// [`IdentityError::UnknownUser`], [`IdentityError::LastAdmin`] or a
    /// store failure.
    pub async fn set_role(
        &self,
        name: &str,
        role: Role,
        actor: Actor,
        allow_no_admin: bool,
    ) -> Result<User, IdentityError> {
        let mut tx = self.store.begin().await?;
        let before = find_user_in(&mut tx, name)
            .await?
            .ok_or_else(|| IdentityError::UnknownUser(name.to_owned()))?;
        set_role_in(&mut tx, &before, role, actor, allow_no_admin).await?;
        tx.commit().await?;
        Ok(User { role, ..before })
    }

    /// Links a chat identity to a user.
    ///
    /// # Errors
    /// [`IdentityError::UnknownUser`], [`IdentityError::AlreadyLinked`], or a
    /// store failure.
    pub async fn link(
        &self,
        name: &str,
        identity: &PlatformIdentity,
        actor: Actor,
    ) -> Result<User, IdentityError> {
        let mut tx = self.store.begin().await?;
        check_linkable(&self.platforms, identity, true)?;
        let user = find_user_in(&mut tx, name)
            .await?
            .ok_or_else(|| IdentityError::UnknownUser(name.to_owned()))?;
        link_in(&mut tx, &user, identity, actor, "admin", None).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Unlinks a chat identity; returns the user it was linked to.
    ///
    /// # Errors
    /// [`IdentityError::NotLinked`] or a store failure.
    pub async fn unlink(
        &self,
        identity: &PlatformIdentity,
        actor: Actor,
    ) -> Result<User, IdentityError> {
        let mut tx = self.store.begin().await?;
        let user = unlink_in(&mut tx, identity, actor).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Links, unlinks and changes the role of user `name` in one
    /// transaction: all of it happens, or none (and each change is audited
    /// with it). Returns the user as they are after.
    ///
    /// # Errors
    /// [`IdentityError::UnknownUser`], [`IdentityError::AlreadyLinked`],
    /// [`IdentityError::NotLinked`] or a store failure; nothing changed.
    pub async fn change(
        &self,
        name: &str,
        link: Option<&PlatformIdentity>,
        unlink: Option<&PlatformIdentity>,
        role: Option<Role>,
        groups: &[(String, bool)],
        actor: Actor,
    ) -> Result<User, IdentityError> {
        // A group to join must be configured; checked before anything.
        if let Some((group, _)) = groups
            .iter()
            .find(|(g, join)| *join && !self.groups.contains(g))
        {
            return Err(IdentityError::UnknownGroup {
                group: group.clone(),
                known: self.groups.join(", "),
            });
        }
        let mut tx = self.store.begin().await?;
        let mut user = find_user_in(&mut tx, name)
            .await?
            .ok_or_else(|| IdentityError::UnknownUser(name.to_owned()))?;
        if let Some(identity) = link {
            check_linkable(&self.platforms, identity, false)?;
            link_in(&mut tx, &user, identity, actor.clone(), "admin", None).await?;
        }
        if let Some(identity) = unlink {
            unlink_in(&mut tx, identity, actor.clone()).await?;
        }
        for (group, join) in groups {
            groups::set_group_in(&mut tx, &user, group, *join, actor.clone()).await?;
        }
        if let Some(role) = role {
            set_role_in(&mut tx, &user, role, actor, false).await?;
            user.role = role;
        }
        tx.commit().await?;
        Ok(user)
    }

    /// Disables user `name`: from their next action, every chat account
    /// linked to them is refused (and stays linked, so that no policy makes
    /// it someone new), and their API tokens are revoked. The last enabled
    /// admin is not disabled.
    ///
    /// # Errors
    /// [`IdentityError::UnknownUser`], [`IdentityError::LastAdmin`] or a
    /// store failure.
    pub async fn disable(&self, name: &str, actor: Actor) -> Result<User, IdentityError> {
        let mut tx = self.store.begin().await?;
        let user = self.disable_in(&mut tx, name, actor).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn disable_in(
        &self,
        tx: &mut Tx,
        name: &str,
        actor: Actor,
    ) -> Result<User, IdentityError> {
        let user = find_user_in(tx, name)
            .await?
            .ok_or_else(|| IdentityError::UnknownUser(name.to_owned()))?;
        refuse_last_admin_in(tx, &user).await?;
        let changed = on_tx!(tx, conn => {
            sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
                .bind(Utc::now())
                .bind(user.id)
                .execute(&mut **conn)
                .await?
                .rows_affected()
        });
        if changed > 0 {
            let event = NewEvent::new(
                EventKind::UserChanged,
                actor.clone(),
                json!({"action": "disabled", "user": user.name}),
            );
            Audit::append_in(tx, event).await?;
        }
        revoke_tokens_in(tx, &user, actor, "disabled").await?;
        Ok(user)
    }

    /// Enables a disabled user again (their API tokens stay revoked).
    ///
    /// # Errors
    /// [`IdentityError::UnknownUser`] or a store failure.
    pub async fn enable(&self, name: &str, actor: Actor) -> Result<User, IdentityError> {
        let mut tx = self.store.begin().await?;
        let user = find_user_in(&mut tx, name)
            .await?
            .ok_or_else(|| IdentityError::UnknownUser(name.to_owned()))?;
        let changed = on_tx!(&mut tx, conn => {
            sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL")
                .bind(user.id)
                .execute(&mut **conn)
                .await?
                .rows_affected()
        });
        if changed > 0 {
            let event = NewEvent::new(
                EventKind::UserChanged,
                actor,
                json!({"action": "enabled", "user": user.name}),
            );
            Audit::append_in(&mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    /// Removes user `name`: disabled (see [`Directory::disable`]), every
    /// chat account unlinked, and, when `erase`, the conversations they
    /// started and the messages they wrote deleted. The user's record stays,
    /// disabled, because the audit names them; under the `auto_viewer`
    /// policy an unlinked account may come back as a new viewer (disable
    /// keeps it out). Returns the accounts unlinked.
    ///
    /// # Errors
    /// [`IdentityError::UnknownUser`], [`IdentityError::LastAdmin`] or a
    /// store failure; nothing changed.
    pub async fn remove(
        &self,
        name: &str,
        erase: bool,
        actor: Actor,
    ) -> Result<Vec<String>, IdentityError> {
        let mut tx = self.store.begin().await?;
        let user = self.disable_in(&mut tx, name, actor.clone()).await?;
        let identities: Vec<(String, String)> = on_tx!(&mut tx, conn => {
            sqlx::query_as("SELECT platform, external_id FROM identities WHERE user_id = $1 ORDER BY platform, external_id")
                .bind(user.id)
                .fetch_all(&mut **conn)
                .await?
        });
        let identities: Vec<String> = identities
            .into_iter()
            .map(|(platform, id)| format!("{platform}:{id}"))
            .collect();
        on_tx!(&mut tx, conn => {
            sqlx::query("DELETE FROM identities WHERE user_id = $1")
                .bind(user.id)
                .execute(&mut **conn)
                .await?;
        });
        for identity in &identities {
            let event = NewEvent::new(
                EventKind::IdentityUnlinked,
                actor.clone(),
                json!({"user": user.name, "identity": identity}),
            );
            Audit::append_in(&mut tx, event).await?;
        }
        let mut erased = 0;
        if erase {
            erased += on_tx!(&mut tx, conn => {
                sqlx::query("DELETE FROM messages WHERE user_id = $1")
                    .bind(user.id)
                    .execute(&mut **conn)
                    .await?
                    .rows_affected()
            });
            erased += on_tx!(&mut tx, conn => {
                sqlx::query("DELETE FROM conversations WHERE started_by = $1")
                    .bind(user.id)
                    .execute(&mut **conn)
                    .await?
                    .rows_affected()
            });
        }
        let event = NewEvent::new(
            EventKind::UserChanged,
            actor,
            json!({"action": "removed", "user": user.name, "unlinked": identities,
                   "history": if erase { "erased" } else { "kept" }, "rows_erased": erased}),
        );
        Audit::append_in(&mut tx, event).await?;
        tx.commit().await?;
        Ok(identities)
    }

    /// Whether `identity` is linked to a disabled user.
    async fn disabled_link(&self, identity: &PlatformIdentity) -> Result<bool, IdentityError> {
        let found: Option<i64> = on_pool!(&self.store, pool => {
            sqlx::query_scalar(
                "SELECT u.id FROM users u JOIN identities i ON i.user_id = u.id \
                 WHERE i.platform = $1 AND i.external_id = $2 AND u.disabled_at IS NOT NULL",
            )
            .bind(identity.platform().as_str())
            .bind(identity.id())
            .fetch_optional(pool)
            .await?
        });
        Ok(found.is_some())
    }

    /// Every user with their identities, by name.
    ///
    /// # Errors
    /// A store failure.
    pub async fn list(&self) -> Result<Vec<UserEntry>, IdentityError> {
        let users: Vec<User> = on_pool!(&self.store, pool => {
            sqlx::query_as("SELECT id, name, role, created_at FROM users ORDER BY name")
                .fetch_all(pool)
                .await?
        });
        let links: Vec<(i64, String, String)> = on_pool!(&self.store, pool => {
            sqlx::query_as(
                "SELECT user_id, platform, external_id FROM identities ORDER BY platform, external_id",
            )
            .fetch_all(pool)
            .await?
        });
        let disabled: Vec<i64> = on_pool!(&self.store, pool => {
            sqlx::query_scalar("SELECT id FROM users WHERE disabled_at IS NOT NULL")
                .fetch_all(pool)
                .await?
        });
        let memberships = self.memberships().await?;
        Ok(users
            .into_iter()
            .map(|user| {
                let identities = links
                    .iter()
                    .filter(|(id, _, _)| *id == user.id)
                    .map(|(_, platform, external)| format!("{platform}:{external}"))
                    .collect();
                let disabled = disabled.contains(&user.id);
                let groups = memberships
                    .iter()
                    .filter(|(id, _)| *id == user.id)
                    .map(|(_, g)| g.clone())
                    .collect();
                UserEntry {
                    user,
                    identities,
                    groups,
                    disabled,
                }
            })
            .collect())
    }

    /// The user with this name.
    ///
    /// # Errors
    /// A store failure.
    pub async fn user(&self, name: &str) -> Result<Option<User>, IdentityError> {
        let normal = normal_name(name);
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_as::<_, User>(USER_BY_NAME)
            .bind(name)
            .bind(&normal)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// The user an identity is linked to, read now: roles and links are
    /// checked at the moment someone acts, never cached.
    ///
    /// # Errors
    /// A store failure.
    pub async fn user_of(
        &self,
        identity: &PlatformIdentity,
    ) -> Result<Option<User>, IdentityError> {
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_as::<_, User>(
                USER_BY_IDENTITY
            )
            .bind(identity.platform().as_str())
            .bind(identity.id())
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Resolves the author of a message to a local user, applying the policy
    /// for unknown identities. A refusal is audited.
    ///
    /// # Errors
    /// A store failure (the caller should say the bot is unavailable).
    pub async fn resolve(
        &self,
        identity: &PlatformIdentity,
        place: Option<&Place>,
    ) -> Result<Resolution, IdentityError> {
        if let Some(user) = self.user_of(identity).await? {
            return Ok(Resolution::Known(user));
        }
        let actor = Actor {
            user_id: None,
            identity: Some(identity.clone()),
        };
        // A disabled user's account is refused whatever the policy (under
        // auto_viewer it would otherwise become someone new).
        let disabled = self.disabled_link(identity).await?;
        if disabled || self.settings.unknown == UnknownPolicy::Refuse {
            if !self.within_refusals(identity) {
                return Ok(Resolution::RefusedQuietly);
            }
            let reason = if disabled {
                "user_disabled"
            } else {
                "unknown_identity"
            };
            let mut event =
                NewEvent::new(EventKind::AccessRefused, actor, json!({"reason": reason}));
            event.place = place.cloned();
            self.audit.append(event).await?;
            return Ok(Resolution::Refused);
        }
        match self.settings.unknown {
            UnknownPolicy::Refuse => unreachable!("refused above"),
            UnknownPolicy::AutoViewer => {
                let mut tx = self.store.begin().await?;
                // Another message from the same person may have won the race
                // to create them while this one waited for the write lock.
                if let Some(user) = user_of_in(&mut tx, identity).await? {
                    return Ok(Resolution::Known(user));
                }
                // Taken, or reading like a name that is (`matrix-rn4-…` beside
                // `matrix-m4-…`): numbered until it is neither.
                let base = auto_name(identity);
                let mut name = base.clone();
                let mut n = 1;
                loop {
                    let taken = find_user_in(&mut tx, &name).await?.is_some();
                    let lookalike = match refuse_lookalike_in(&mut tx, &name).await {
                        Ok(()) => false,
                        Err(IdentityError::Lookalike { .. }) => true,
                        Err(e) => return Err(e),
                    };
                    if !(taken || lookalike) {
                        break;
                    }
                    n += 1;
                    name = format!("{base}-{n}");
                }
                let user = insert_user(&mut tx, &name, Role::Viewer, true).await?;
                let event = NewEvent::new(
                    EventKind::UserChanged,
                    actor.clone(),
                    json!({"action": "created", "user": name, "role": "viewer", "via": "auto_viewer"}),
                );
                Audit::append_in(&mut tx, event).await?;
                link_in(&mut tx, &user, identity, actor, "auto_viewer", place).await?;
                tx.commit().await?;
                Ok(Resolution::Created(user))
            }
        }
    }

    /// Counts a refusal of an unknown `identity`; whether it is still within
    /// the ones told and audited.
    fn within_refusals(&self, identity: &PlatformIdentity) -> bool {
        self.count_in_window(&format!("unknown:{identity}"), 1) <= REFUSALS_TOLD
    }

    /// Adds `add` to the count of `key` in the current
    /// [`invites::ATTEMPT_WINDOW`] (a new window starts at zero) and
    /// returns the count: the one counter behind every limit on attempts.
    fn count_in_window(&self, key: &str, add: u32) -> u32 {
        let now = std::time::Instant::now();
        let mut attempts = self.attempts.lock().expect("never poisoned");
        if attempts.len() > 10_000 {
            attempts.retain(|_, (since, _)| now.duration_since(*since) < invites::ATTEMPT_WINDOW);
        }
        let entry = attempts.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= invites::ATTEMPT_WINDOW {
            *entry = (now, 0);
        }
        entry.1 += add;
        entry.1
    }

    /// Whom an unknown identity is told to contact to be linked.
    pub fn contact(&self) -> &str {
        &self.settings.contact
    }
}

#[cfg(test)]
mod tests {
    use super::invites::{code_hash, new_invite_code};
    use super::*;

    #[test]
    fn roles_include_the_ones_below() {
        assert!(Role::Viewer.allows(Permission::Chat));
        assert!(!Role::Viewer.allows(Permission::Execute));
        assert!(Role::Executor.allows(Permission::Execute));
        assert!(!Role::Executor.allows(Permission::Administer));
        assert!(Role::Admin.allows(Permission::Administer));
        assert_eq!(Permission::Execute.least_role(), Role::Executor);
    }

    #[test]
    fn invite_codes_are_readable_and_normalized_before_hashing() {
        let code = new_invite_code();
        assert_eq!(code.len(), 11);
        assert!(!code.contains(['I', 'L', 'O', 'U']));
        let typed = format!(" {} ", code.to_lowercase().replace('-', " "));
        assert_eq!(code_hash(&typed), code_hash(&code));
        assert_ne!(code_hash(&new_invite_code()), code_hash(&code));
    }

    #[test]
    fn auto_names_come_from_the_account_id_never_the_display_name() {
        let id: PlatformIdentity = "matrix:@ana:example.org".parse().unwrap();
        assert_eq!(auto_name(&id), "matrix-ana-example-org");
        let long: PlatformIdentity = format!("matrix:@{}:example.org", "x".repeat(200))
            .parse()
            .unwrap();
        assert!(check_name(&auto_name(&long)).is_ok());
        let discord: PlatformIdentity = "discord:80351110224678912".parse().unwrap();
        assert_eq!(auto_name(&discord), "discord-80351110224678912");
    }

    #[test]
    fn user_names_are_checked() {
        for good in ["ana", "ana.martin", "a_b-c", "josé", "jürgen", "алиса"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-ana",
            "ana martin",
            "ana@x",
            &"a".repeat(65),
            // Not as stored: upper case, full width, mathematical letters.
            "Ana",
            "ａｌｉｃｅ",
            "𝐚lice",
            // A Cyrillic а in a Latin name; an invisible Hangul filler; a
            // zero-width space; a right-to-left override; an escape.
            "\u{430}lice",
            "victimadmin\u{3164}",
            "ali\u{200b}ce",
            "ali\u{202e}ce",
            "ali\u{1b}[2Jce",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(normal_name("Alice"), "alice");
        assert_eq!(normal_name("ａｌｉｃｅ"), "alice");
        assert_eq!(normal_name("𝐚lice"), "alice");
    }
}
