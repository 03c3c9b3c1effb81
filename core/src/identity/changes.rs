//! Users, links and API tokens changed inside one transaction of the own
//! database, each change audited in the same transaction, so that a change
//! and its record land together or not at all.

use super::*;

/// Sets `user`'s role in `tx`, audited. Refused for the last admin unless
/// `allow_no_admin`; an admin who is demoted loses every API token at once
/// (promoted again later, an old token must not come back to life).
pub(super) async fn set_role_in(
    tx: &mut Tx,
    user: &User,
    role: Role,
    actor: Actor,
    allow_no_admin: bool,
) -> Result<(), IdentityError> {
    let demoted = user.role == Role::Admin && role != Role::Admin;
    if demoted && !allow_no_admin {
        refuse_last_admin_in(tx, user).await?;
    }
    on_tx!(tx, conn => {
        sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(user.id)
            .execute(&mut **conn)
            .await?;
    });
    let event = NewEvent::new(
        EventKind::UserChanged,
        actor.clone(),
        json!({"action": "role", "user": user.name, "from": user.role.as_str(), "to": role.as_str()}),
    );
    Audit::append_in(tx, event).await?;
    if demoted {
        revoke_tokens_in(tx, user, actor, "demoted").await?;
    }
    Ok(())
}

/// Refuses to take the last enabled admin away.
pub(super) async fn refuse_last_admin_in(tx: &mut Tx, user: &User) -> Result<(), IdentityError> {
    let admins: i64 = on_tx!(tx, conn => {
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL")
            .fetch_one(&mut **conn)
            .await?
    });
    if user.role == Role::Admin && admins <= 1 {
        return Err(IdentityError::LastAdmin(user.name.clone()));
    }
    Ok(())
}

/// Revokes every live API token of `user`, audited with `reason`.
pub(super) async fn revoke_tokens_in(
    tx: &mut Tx,
    user: &User,
    actor: Actor,
    reason: &str,
) -> Result<(), IdentityError> {
    let revoked = on_tx!(tx, conn => {
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(Utc::now())
            .bind(user.id)
            .execute(&mut **conn)
            .await?
            .rows_affected()
    });
    if revoked > 0 {
        let event = NewEvent::new(
            EventKind::UserChanged,
            actor,
            json!({"action": "tokens_revoked", "user": user.name, "tokens": revoked, "reason": reason}),
        );
        Audit::append_in(tx, event).await?;
    }
    Ok(())
}

pub(super) async fn find_user_in(tx: &mut Tx, name: &str) -> Result<Option<User>, IdentityError> {
    let normal = normal_name(name);
    Ok(on_tx!(tx, conn => {
        sqlx::query_as::<_, User>(USER_BY_NAME)
            .bind(name)
            .bind(&normal)
            .fetch_optional(&mut **conn)
            .await?
    }))
}

pub(super) async fn unlink_in(
    tx: &mut Tx,
    identity: &PlatformIdentity,
    actor: Actor,
) -> Result<User, IdentityError> {
    let user = user_of_in(tx, identity)
        .await?
        .ok_or_else(|| IdentityError::NotLinked(identity.to_string()))?;
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM identities WHERE platform = $1 AND external_id = $2")
            .bind(identity.platform().as_str())
            .bind(identity.id())
            .execute(&mut **conn)
            .await?;
    });
    let event = NewEvent::new(
        EventKind::IdentityUnlinked,
        actor,
        json!({"user": user.name, "identity": identity.to_string()}),
    );
    Audit::append_in(tx, event).await?;
    Ok(user)
}

pub(super) async fn user_of_in(
    tx: &mut Tx,
    identity: &PlatformIdentity,
) -> Result<Option<User>, IdentityError> {
    Ok(on_tx!(tx, conn => {
        sqlx::query_as::<_, User>(
            USER_BY_IDENTITY
        )
        .bind(identity.platform().as_str())
        .bind(identity.id())
        .fetch_optional(&mut **conn)
        .await?
    }))
}

/// A new user; `auto_created` when made on first contact (see
/// [`Directory::consume_invite`]).
pub(super) async fn insert_user(
    tx: &mut Tx,
    name: &str,
    role: Role,
    auto_created: bool,
) -> Result<User, IdentityError> {
    Ok(on_tx!(tx, conn => {
        sqlx::query_as::<_, User>(
            "INSERT INTO users (name, role, created_at, auto_created) VALUES ($1, $2, $3, $4) \
             RETURNING id, name, role, created_at",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(Utc::now())
        .bind(auto_created)
        .fetch_one(&mut **conn)
        .await?
    }))
}

pub(super) async fn link_in(
    tx: &mut Tx,
    user: &User,
    identity: &PlatformIdentity,
    actor: Actor,
    via: &str,
    place: Option<&Place>,
) -> Result<(), IdentityError> {
    if let Some(owner) = user_of_in(tx, identity).await? {
        return Err(IdentityError::AlreadyLinked {
            identity: identity.to_string(),
            user: owner.name,
        });
    }
    on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO identities (platform, external_id, user_id, linked_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(identity.platform().as_str())
        .bind(identity.id())
        .bind(user.id)
        .bind(Utc::now())
        .execute(&mut **conn)
        .await?;
    });
    let mut event = NewEvent::new(
        EventKind::IdentityLinked,
        actor,
        json!({"user": user.name, "identity": identity.to_string(), "via": via}),
    );
    event.place = place.cloned();
    Audit::append_in(tx, event).await?;
    Ok(())
}

/// The user `identity` leaves when it is linked to someone: `None` when it
/// is linked to nobody; the user when it is an account created on first
/// contact (a viewer, this identity its only one), which the person may
/// leave for the user an admin meant for them.
///
/// # Errors
/// [`IdentityError::AlreadyLinked`] for any other user, or a store failure.
pub(super) async fn leaving_in(
    tx: &mut Tx,
    identity: &PlatformIdentity,
) -> Result<Option<User>, IdentityError> {
    let Some(user) = user_of_in(tx, identity).await? else {
        return Ok(None);
    };
    let (auto_created, identities): (bool, i64) = on_tx!(tx, conn => {
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
    Ok(Some(user))
}
