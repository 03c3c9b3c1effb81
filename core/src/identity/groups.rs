//! The groups a user belongs to: managed like roles (the CLI, the admin
//! API), each change audited in the same transaction, read at the moment
//! someone acts. What a group may read is the access rules' to say; here
//! a group is a name the configuration knows.

use super::*;

impl Directory {
    /// The group names this directory accepts memberships of (the
    /// configured groups; none by default).
    pub fn with_groups<S: AsRef<str>>(mut self, groups: &[S]) -> Self {
        self.groups = groups.iter().map(|g| g.as_ref().to_owned()).collect();
        self
    }

    /// The groups of the user `user_id`, read now, in name order.
    ///
    /// # Errors
    /// A store failure.
    pub async fn groups_of(&self, user_id: i64) -> Result<Vec<String>, IdentityError> {
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_scalar(
                "SELECT group_name FROM user_groups WHERE user_id = $1 ORDER BY group_name",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Every membership, as (user id, group), for listings.
    pub(super) async fn memberships(&self) -> Result<Vec<(i64, String)>, IdentityError> {
        Ok(on_pool!(&self.store, pool => {
            sqlx::query_as("SELECT user_id, group_name FROM user_groups ORDER BY group_name")
                .fetch_all(pool)
                .await?
        }))
    }

    /// Puts user `name` in `group` (`join`) or takes them out, audited.
    /// Joining a group they are in, or leaving one they are not in, changes
    /// nothing and is not an error.
    ///
    /// # Errors
    /// [`IdentityError::UnknownUser`], [`IdentityError::UnknownGroup`] (to
    /// join: leaving a group no longer configured is allowed), or a store
    /// failure.
    pub async fn set_group(
        &self,
        name: &str,
        group: &str,
        join: bool,
        actor: Actor,
    ) -> Result<User, IdentityError> {
        if join && !self.groups.iter().any(|g| g == group) {
            return Err(IdentityError::UnknownGroup {
                group: group.to_owned(),
                known: self.groups.join(", "),
            });
        }
        let mut tx = self.store.begin().await?;
        let user = find_user_in(&mut tx, name)
            .await?
            .ok_or_else(|| IdentityError::UnknownUser(name.to_owned()))?;
        set_group_in(&mut tx, &user, group, join, actor).await?;
        tx.commit().await?;
        Ok(user)
    }
}

/// Adds or removes one membership in `tx`, audited when it changed.
pub(super) async fn set_group_in(
    tx: &mut Tx,
    user: &User,
    group: &str,
    join: bool,
    actor: Actor,
) -> Result<(), IdentityError> {
    let changed = on_tx!(tx, conn => {
        if join {
            sqlx::query(
                "INSERT INTO user_groups (user_id, group_name, added_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, group_name) DO NOTHING",
            )
            .bind(user.id)
            .bind(group)
            .bind(Utc::now())
            .execute(&mut **conn)
            .await?
            .rows_affected()
        } else {
            sqlx::query("DELETE FROM user_groups WHERE user_id = $1 AND group_name = $2")
                .bind(user.id)
                .bind(group)
                .execute(&mut **conn)
                .await?
                .rows_affected()
        }
    });
    if changed > 0 {
        let action = if join { "group_joined" } else { "group_left" };
        let event = NewEvent::new(
            EventKind::UserChanged,
            actor,
            json!({"action": action, "user": user.name, "group": group}),
        );
        Audit::append_in(tx, event).await?;
    }
    Ok(())
}
