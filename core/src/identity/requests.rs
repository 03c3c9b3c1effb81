//! Link requests: a person whose chat account the admin does not know asks
//! the bot, in a DM, to be linked to a local user by name (`link NAME`); an
//! admin approves or denies the request from the chat or the CLI. No secret
//! travels, so there is nothing to overhear: the account that asked is the
//! account that gets linked, and only once an admin has said so.

use super::*;

/// A request waiting for an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkRequest {
    /// The chat account that asked, as the platform knows it.
    pub identity: String,
    /// The local user it asked to be linked to, as written (normalised).
    pub user: String,
    /// That user's role, when such a user exists (an admin's approval of a
    /// request to be an admin should be a decision, not a slip).
    pub role: Option<Role>,
    pub requested_at: DateTime<Utc>,
}

/// A request recorded: whom the account asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkAsked {
    pub user: String,
}

impl Directory {
    /// Records that `identity` asks to be linked to the user `name`,
    /// replacing any earlier request of it; audited. Whether such a user
    /// exists is not said (nobody learns the users' names by asking): an
    /// admin sees the request and decides.
    ///
    /// # Errors
    /// [`IdentityError::BadName`], [`IdentityError::NotLinkable`],
    /// [`IdentityError::AlreadyLinked`], [`IdentityError::TooManyAttempts`]
    /// (more requests than a person makes by mistake), or a store failure.
    pub async fn request_link(
        &self,
        identity: &PlatformIdentity,
        name: &str,
        place: Option<&Place>,
    ) -> Result<LinkAsked, IdentityError> {
        check_linkable(&self.platforms, identity, false)?;
        let name = normal_name(name.trim());
        check_name(&name)?;
        // Counted with the account's failed invites: asking again and
        // again is knocking, and costs the audit a row each time.
        if self.too_many_attempts(identity, true) {
            return Err(IdentityError::TooManyAttempts);
        }
        let mut tx = self.store.begin().await?;
        leaving_in(&mut tx, identity).await?;
        on_tx!(&mut tx, conn => {
            sqlx::query("DELETE FROM link_requests WHERE platform = $1 AND external_id = $2")
                .bind(identity.platform().as_str())
                .bind(identity.id())
                .execute(&mut **conn)
                .await?;
            sqlx::query(
                "INSERT INTO link_requests (platform, external_id, user_name, requested_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(identity.platform().as_str())
            .bind(identity.id())
            .bind(&name)
            .bind(Utc::now())
            .execute(&mut **conn)
            .await?;
        });
        let mut event = NewEvent::new(
            EventKind::LinkRequest,
            Actor {
                user_id: None,
                identity: Some(identity.clone()),
            },
            json!({"action": "asked", "user": name, "identity": identity.to_string()}),
        );
        event.place = place.cloned();
        Audit::append_in(&mut tx, event).await?;
        tx.commit().await?;
        Ok(LinkAsked { user: name })
    }

    /// The requests waiting for an admin, oldest first; a request older than
    /// an invite's lifetime has lapsed and is not listed.
    ///
    /// # Errors
    /// A store failure.
    pub async fn link_requests(&self) -> Result<Vec<LinkRequest>, IdentityError> {
        type Row = (String, String, String, DateTime<Utc>, Option<String>);
        let rows: Vec<Row> = on_pool!(&self.store, pool => {
            sqlx::query_as(
                "SELECT r.platform, r.external_id, r.user_name, r.requested_at, u.role \
                 FROM link_requests r LEFT JOIN users u ON u.name = r.user_name \
                 WHERE r.requested_at > $1 ORDER BY r.requested_at",
            )
            .bind(self.lapsed_before())
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(platform, id, user, requested_at, role)| LinkRequest {
                identity: format!("{platform}:{id}"),
                user,
                role: role.and_then(|r| r.parse().ok()),
                requested_at,
            })
            .collect())
    }

    /// Links `identity` to the user `name`, as `actor` (an admin) approves
    /// its request to be that user; the request is then gone. Audited as
    /// the link. The admin names the user they read in the list: an account
    /// keeps its latest request only, and one that asked again since (for
    /// another user) is not linked to what the admin did not see.
    ///
    /// # Errors
    /// [`IdentityError::NoLinkRequest`], [`IdentityError::RequestChanged`]
    /// (the request names another user now), [`IdentityError::UnknownUser`]
    /// (create the user, then approve), [`IdentityError::AlreadyLinked`], or
    /// a store failure.
    pub async fn approve_link(
        &self,
        identity: &PlatformIdentity,
        name: &str,
        actor: Actor,
    ) -> Result<User, IdentityError> {
        let mut tx = self.store.begin().await?;
        let asked = self.take_request_in(&mut tx, identity).await?;
        if asked != normal_name(name.trim()) {
            return Err(IdentityError::RequestChanged {
                identity: identity.to_string(),
                asked,
            });
        }
        let user = find_user_in(&mut tx, &asked)
            .await?
            .ok_or(IdentityError::UnknownUser(asked))?;
        let disabled: bool = on_tx!(&mut tx, conn => {
            sqlx::query_scalar("SELECT disabled_at IS NOT NULL FROM users WHERE id = $1")
                .bind(user.id)
                .fetch_one(&mut **conn)
                .await?
        });
        if disabled {
            return Err(IdentityError::UserDisabled(user.name));
        }
        if leaving_in(&mut tx, identity).await?.is_some() {
            unlink_in(&mut tx, identity, actor.clone()).await?;
        }
        link_in(&mut tx, &user, identity, actor, "request", None).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Turns down the request of `identity`, as `actor` (an admin) says;
    /// audited. Returns the name it had asked for.
    ///
    /// # Errors
    /// [`IdentityError::NoLinkRequest`], or a store failure.
    pub async fn deny_link(
        &self,
        identity: &PlatformIdentity,
        actor: Actor,
    ) -> Result<String, IdentityError> {
        let mut tx = self.store.begin().await?;
        let name = self.take_request_in(&mut tx, identity).await?;
        let event = NewEvent::new(
            EventKind::LinkRequest,
            actor,
            json!({"action": "denied", "user": name, "identity": identity.to_string()}),
        );
        Audit::append_in(&mut tx, event).await?;
        tx.commit().await?;
        Ok(name)
    }

    /// Removes the live request of `identity` in `tx` and returns the name
    /// it asks for.
    async fn take_request_in(
        &self,
        tx: &mut Tx,
        identity: &PlatformIdentity,
    ) -> Result<String, IdentityError> {
        let name: Option<String> = on_tx!(tx, conn => {
            sqlx::query_scalar(
                "DELETE FROM link_requests WHERE platform = $1 AND external_id = $2 \
                 AND requested_at > $3 RETURNING user_name",
            )
            .bind(identity.platform().as_str())
            .bind(identity.id())
            .bind(self.lapsed_before())
            .fetch_optional(&mut **conn)
            .await?
        });
        name.ok_or_else(|| IdentityError::NoLinkRequest(identity.to_string()))
    }

    /// Requests made before this have lapsed.
    fn lapsed_before(&self) -> DateTime<Utc> {
        Utc::now() - self.invite_ttl()
    }
}
