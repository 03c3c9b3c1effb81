//! Users, roles, identity links and invite codes on both backends.

use std::time::Duration;

use pstral_chat::{Place, PlatformIdentity};
use pstral_core::audit::{Actor, Audit, AuditFilter, Order};
use pstral_core::identity::{Directory, IdentityError, Resolution, Role};
use pstral_core::identity::{IdentitySettings, UnknownPolicy};

use crate::on_both_backends;
use crate::support::TestDb;

fn settings(unknown: UnknownPolicy) -> IdentitySettings {
    IdentitySettings {
        unknown,
        contact: "the IT desk".to_owned(),
        invite_ttl: Duration::from_secs(3600),
    }
}

fn id(s: &str) -> PlatformIdentity {
    s.parse().unwrap()
}

fn dm() -> Place {
    Place {
        platform: "matrix".parse().unwrap(),
        channel: "!dm:example.org".to_owned(),
        thread: None,
        private: true,
    }
}

async fn kinds(db: &TestDb) -> Vec<String> {
    let events = Audit::new(db.store.clone())
        .list(&AuditFilter::default(), Order::OldestFirst, 1000)
        .await
        .unwrap();
    events.into_iter().map(|e| e.kind).collect()
}

async fn users_are_created_listed_and_linked(db: TestDb) {
    let dir = Directory::new(
        db.store.clone(),
        settings(UnknownPolicy::Refuse),
        crate::support::CHAT_PLATFORMS,
    );
    let ana = dir
        .add_user("ana", Role::Executor, Actor::cli())
        .await
        .unwrap();
    dir.add_user("bob", Role::Viewer, Actor::cli())
        .await
        .unwrap();
    dir.link("ana", &id("discord:80351110224678912"), Actor::cli())
        .await
        .unwrap();
    dir.link("ana", &id("matrix:@ana:example.org"), Actor::cli())
        .await
        .unwrap();

    let list = dir.list().await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].user, ana);
    assert_eq!(
        list[0].identities,
        ["discord:80351110224678912", "matrix:@ana:example.org"]
    );
    assert!(list[1].identities.is_empty());
    let found = dir.user_of(&id("matrix:@ana:example.org")).await.unwrap();
    assert_eq!(found.map(|u| u.name), Some("ana".to_owned()));
    assert_eq!(
        dir.user("bob").await.unwrap().map(|u| u.role),
        Some(Role::Viewer)
    );
    assert_eq!(dir.user("carol").await.unwrap(), None);
}

async fn mistakes_are_refused_with_a_reason(db: TestDb) {
    let dir = Directory::new(
        db.store.clone(),
        settings(UnknownPolicy::Refuse),
        crate::support::CHAT_PLATFORMS,
    );
    dir.add_user("ana", Role::Viewer, Actor::cli())
        .await
        .unwrap();
    dir.add_user("bob", Role::Viewer, Actor::cli())
        .await
        .unwrap();
    let ana_discord = id("discord:1");
    dir.link("ana", &ana_discord, Actor::cli()).await.unwrap();

    let dup = dir
        .add_user("ana", Role::Admin, Actor::cli())
        .await
        .unwrap_err();
    assert!(matches!(dup, IdentityError::UserExists(_)), "{dup}");
    let bad = dir
        .add_user("ana martin", Role::Viewer, Actor::cli())
        .await
        .unwrap_err();
    assert!(matches!(bad, IdentityError::BadName(_)), "{bad}");
    let taken = dir
        .link("bob", &ana_discord, Actor::cli())
        .await
        .unwrap_err();
    assert_eq!(taken.to_string(), "discord:1 is already linked to ana");
    let nobody = dir
        .link("carol", &id("discord:2"), Actor::cli())
        .await
        .unwrap_err();
    assert!(matches!(nobody, IdentityError::UnknownUser(_)), "{nobody}");
    let no_role = dir
        .set_role("carol", Role::Admin, Actor::cli(), false)
        .await
        .unwrap_err();
    assert!(
        matches!(no_role, IdentityError::UnknownUser(_)),
        "{no_role}"
    );
    // Nothing failed half-way: exactly the successful changes are audited.
    assert_eq!(
        kinds(&db).await,
        ["user_changed", "user_changed", "identity_linked"]
    );
}

async fn a_role_change_applies_at_the_next_action(db: TestDb) {
    let dir = Directory::new(
        db.store.clone(),
        settings(UnknownPolicy::Refuse),
        crate::support::CHAT_PLATFORMS,
    );
    dir.add_user("ana", Role::Viewer, Actor::cli())
        .await
        .unwrap();
    let ana = id("discord:1");
    dir.link("ana", &ana, Actor::cli()).await.unwrap();
    let Resolution::Known(before) = dir.resolve(&ana, None).await.unwrap() else {
        panic!("ana is linked")
    };
    assert_eq!(before.role, Role::Viewer);
    dir.set_role("ana", Role::Executor, Actor::cli(), false)
        .await
        .unwrap();
    let Resolution::Known(after) = dir.resolve(&ana, None).await.unwrap() else {
        panic!("ana is linked")
    };
    assert_eq!(after.role, Role::Executor);

    let unlinked = dir.unlink(&ana, Actor::cli()).await.unwrap();
    assert_eq!(unlinked.name, "ana");
    assert_eq!(dir.resolve(&ana, None).await.unwrap(), Resolution::Refused);
    let again = dir.unlink(&ana, Actor::cli()).await.unwrap_err();
    assert!(matches!(again, IdentityError::NotLinked(_)), "{again}");
}

async fn unknown_people_are_refused_and_the_refusal_is_audited(db: TestDb) {
    let dir = Directory::new(
        db.store.clone(),
        settings(UnknownPolicy::Refuse),
        crate::support::CHAT_PLATFORMS,
    );
    let stranger = id("matrix:@eve:example.org");
    let outcome = dir.resolve(&stranger, Some(&dm())).await.unwrap();
    assert_eq!(outcome, Resolution::Refused);
    // The command as the platform spells it.
    let text = pstral_core::i18n::Link::UnknownIdentity {
        contact: dir.contact(),
        prefix: "!",
    }
    .render(pstral_core::i18n::Lang::Fr);
    assert!(
        text.contains("the IT desk") && text.contains("`!link CODE`"),
        "{text}"
    );
    let events = Audit::new(db.store.clone())
        .list(&AuditFilter::default(), Order::OldestFirst, 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "access_refused");
    assert_eq!(
        events[0].identity.as_deref(),
        Some("matrix:@eve:example.org")
    );
    assert_eq!(events[0].channel.as_deref(), Some("!dm:example.org"));
    assert!(events[0].private);
    assert!(dir.list().await.unwrap().is_empty(), "no user was created");
}

async fn unknown_people_become_viewers_under_auto_viewer(db: TestDb) {
    let dir = Directory::new(
        db.store.clone(),
        settings(UnknownPolicy::AutoViewer),
        crate::support::CHAT_PLATFORMS,
    );
    dir.add_user("ana", Role::Admin, Actor::cli())
        .await
        .unwrap();
    let newcomer = id("discord:42");
    // Named after the account's id, never the display name, which anyone
    // can choose (here: the admin's).
    let Resolution::Created(user) = dir.resolve(&newcomer, None).await.unwrap() else {
        panic!("the policy creates users")
    };
    assert_eq!(
        (user.name.as_str(), user.role),
        ("discord-42", Role::Viewer)
    );
    assert_eq!(
        dir.resolve(&newcomer, None).await.unwrap(),
        Resolution::Known(user)
    );
    assert_eq!(
        kinds(&db).await,
        ["user_changed", "user_changed", "identity_linked"]
    );
}

/// Two first messages of one new person, handled by two replicas at once,
/// make one user.
async fn a_newcomer_writing_twice_at_once_becomes_one_user(db: TestDb) {
    let a = Directory::new(
        db.store.clone(),
        settings(UnknownPolicy::AutoViewer),
        crate::support::CHAT_PLATFORMS,
    );
    let b = Directory::new(
        db.another_replica().await,
        settings(UnknownPolicy::AutoViewer),
        crate::support::CHAT_PLATFORMS,
    );
    let newcomer = id("matrix:@zoe:example.org");
    let (x, y) = tokio::join!(a.resolve(&newcomer, None), b.resolve(&newcomer, None),);
    let (x, y) = (x.unwrap(), y.unwrap());
    let user = |r: &Resolution| match r {
        Resolution::Known(u) | Resolution::Created(u) => u.clone(),
        Resolution::Refused | Resolution::RefusedQuietly => panic!("auto_viewer never refuses"),
    };
    assert_eq!(user(&x), user(&y));
    assert!(matches!(x, Resolution::Created(_)) != matches!(y, Resolution::Created(_)));
    assert_eq!(dir_len(&a).await, 1);
}

async fn dir_len(dir: &Directory) -> usize {
    dir.list().await.unwrap().len()
}

async fn invite_codes_link_once(db: TestDb) {
    let dir = Directory::new(
        db.store.clone(),
        settings(UnknownPolicy::Refuse),
        crate::support::CHAT_PLATFORMS,
    );
    dir.add_user("ana", Role::Executor, Actor::cli())
        .await
        .unwrap();
    let phone = id("matrix:@ana:example.org");
    let invite = dir
        .create_invite("ana", &phone, Actor::cli())
        .await
        .unwrap();

    // Typed loosely, as a person would.
    let typed = invite.code.to_lowercase().replace('-', " ");
    let user = dir
        .consume_invite(&typed, &phone, Some(&dm()))
        .await
        .unwrap();
    assert_eq!(user.name, "ana");
    assert_eq!(
        dir.user_of(&phone).await.unwrap().map(|u| u.name),
        Some("ana".into())
    );

    // Another account, with the code as written: it is not theirs.
    let laptop = id("discord:7");
    let other = dir
        .consume_invite(&invite.code, &laptop, None)
        .await
        .unwrap_err();
    assert!(matches!(other, IdentityError::InviteForAnother), "{other}");
    let wrong = dir
        .consume_invite("AAAAA-AAAAA", &laptop, None)
        .await
        .unwrap_err();
    assert!(matches!(wrong, IdentityError::InviteUnknown), "{wrong}");
    // No code is made for an account linked already: it could never work.
    let linked = dir
        .create_invite("ana", &phone, Actor::cli())
        .await
        .unwrap_err();
    assert!(
        matches!(linked, IdentityError::AlreadyLinked { .. }),
        "{linked}"
    );

    let events = Audit::new(db.store.clone())
        .list(&AuditFilter::default(), Order::OldestFirst, 100)
        .await
        .unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "user_changed",
            "invite_created",
            "identity_linked",
            "access_refused",
            "access_refused"
        ]
    );
    assert!(
        events.iter().all(|e| !e.payload.contains(&invite.code)),
        "an invite code must never reach the audit"
    );
}

async fn expired_invite_codes_are_refused(db: TestDb) {
    let mut s = settings(UnknownPolicy::Refuse);
    s.invite_ttl = Duration::ZERO;
    let dir = Directory::new(db.store.clone(), s, crate::support::CHAT_PLATFORMS);
    dir.add_user("ana", Role::Viewer, Actor::cli())
        .await
        .unwrap();
    let invite = dir
        .create_invite("ana", &id("discord:1"), Actor::cli())
        .await
        .unwrap();
    let err = dir
        .consume_invite(&invite.code, &id("discord:1"), None)
        .await
        .unwrap_err();
    assert!(matches!(err, IdentityError::InviteExpired), "{err}");
    assert_eq!(dir.user_of(&id("discord:1")).await.unwrap(), None);
}

async fn one_invite_raced_by_two_replicas_links_one_identity(db: TestDb) {
    let replica = db.another_replica().await;
    let a = Directory::new(
        db.store.clone(),
        settings(UnknownPolicy::Refuse),
        crate::support::CHAT_PLATFORMS,
    );
    let b = Directory::new(
        replica,
        settings(UnknownPolicy::Refuse),
        crate::support::CHAT_PLATFORMS,
    );
    a.add_user("ana", Role::Viewer, Actor::cli()).await.unwrap();
    let ana = id("discord:1");
    let code = a
        .create_invite("ana", &ana, Actor::cli())
        .await
        .unwrap()
        .code;
    // The same account sends it twice, each message reaching a replica.
    let (x, y) = tokio::join!(
        a.consume_invite(&code, &ana, None),
        b.consume_invite(&code, &ana, None),
    );
    assert_eq!(
        usize::from(x.is_ok()) + usize::from(y.is_ok()),
        1,
        "exactly one wins: {x:?} {y:?}"
    );
    let loser = x.err().or(y.err()).unwrap();
    assert!(
        matches!(
            loser,
            IdentityError::InviteUsed | IdentityError::AlreadyLinked { .. }
        ),
        "{loser}"
    );
}

/// Names that would read as someone else's are refused or kept apart.
async fn names_cannot_impersonate(db: TestDb) {
    let dir = Directory::new(
        db.store.clone(),
        settings(UnknownPolicy::AutoViewer),
        crate::support::CHAT_PLATFORMS,
    );
    dir.add_user("alice", Role::Admin, Actor::cli())
        .await
        .unwrap();
    // Case, full-width and mathematical letters: the same name.
    for same in ["Alice", "ALICE", "ａｌｉｃｅ", "𝐚𝐥𝐢𝐜𝐞"] {
        assert!(
            matches!(
                dir.add_user(same, Role::Viewer, Actor::cli()).await,
                Err(IdentityError::UserExists(_))
            ),
            "{same}"
        );
    }
    assert_eq!(dir.user("ALICE").await.unwrap().unwrap().name, "alice");
    // A Cyrillic а in a Latin name: mixed scripts.
    assert!(matches!(
        dir.add_user("\u{430}lice", Role::Viewer, Actor::cli())
            .await,
        Err(IdentityError::BadName(_))
    ));
    // All-Cyrillic, but reading as alice: a look-alike.
    assert!(matches!(
        dir.add_user(
            "\u{430}\u{4cf}\u{456}\u{441}\u{435}",
            Role::Viewer,
            Actor::cli()
        )
        .await,
        Err(IdentityError::Lookalike { .. }) | Err(IdentityError::BadName(_))
    ));
    // Invisible fillers, zero-width and bidirectional characters, escapes.
    for hidden in [
        "alice\u{3164}",
        "ali\u{200b}ce",
        "ali\u{202e}ec",
        "alice\u{1b}[2J",
    ] {
        assert!(
            matches!(
                dir.add_user(hidden, Role::Viewer, Actor::cli()).await,
                Err(IdentityError::BadName(_))
            ),
            "{hidden:?}"
        );
    }
    // Display-name squatting: a newcomer calling themselves "alice" (or
    // "alice" + an invisible filler) is named after their account (the
    // directory is never told a display name).
    for display in ["alice", "alice\u{3164}"] {
        let newcomer = id(&format!("matrix:@squat{}:evil.example", display.len()));
        let Resolution::Created(user) = dir.resolve(&newcomer, None).await.unwrap() else {
            panic!("created");
        };
        assert!(user.name.starts_with("matrix-squat"), "{}", user.name);
    }
    // Identities: no control, invisible or bidirectional character, and
    // only chat platforms may be linked.
    for bad in [
        "matrix:@eve\u{1b}[2J:example.org",
        "matrix:@eve\u{202e}:example.org",
        "discord:12\u{200b}3",
        "x:eve\n[forged line]",
    ] {
        assert!(bad.parse::<PlatformIdentity>().is_err(), "{bad:?}");
    }
    for unlinkable in ["x:eve", "api:alice", "cli:root"] {
        assert!(
            matches!(
                dir.change(
                    "alice",
                    Some(&id(unlinkable)),
                    None,
                    None,
                    &[],
                    Actor::cli()
                )
                .await,
                Err(IdentityError::NotLinkable { .. })
            ),
            "{unlinkable}"
        );
    }
    assert!(matches!(
        dir.change(
            "alice",
            Some(&id("terminal:root")),
            None,
            None,
            &[],
            Actor::cli()
        )
        .await,
        Err(IdentityError::NotLinkable { .. })
    ));
    // Token labels are refused with such characters too.
    let tokens =
        pstral_core::admin::tokens::Tokens::new(db.store.clone(), Audit::new(db.store.clone()));
    assert!(
        tokens
            .create("alice", "laptop\u{1b}[2J\nrow", None, Actor::cli())
            .await
            .is_err()
    );
}

/// Invite attempts: every failure reads the same, they are limited per
/// account (never per code: others' attempts do not lock its owner out),
/// and an account created on first contact may still take the invite
/// meant for it.
async fn invite_attempts_are_limited_and_read_the_same(db: TestDb) {
    let dir = Directory::new(
        db.store.clone(),
        settings(UnknownPolicy::AutoViewer),
        crate::support::CHAT_PLATFORMS,
    );
    dir.add_user("ana", Role::Executor, Actor::cli())
        .await
        .unwrap();
    let guesser = id("discord:666");
    let mut texts = Vec::new();
    for n in 0..5 {
        let e = dir
            .consume_invite(&format!("ZZZZZ-ZZZ{n:02}"), &guesser, Some(&dm()))
            .await
            .unwrap_err();
        texts.push(
            pstral_core::i18n::Link::of_identity_error(&e)
                .unwrap()
                .render(pstral_core::i18n::Lang::En),
        );
    }
    let other = id("discord:667");
    let expired = {
        let mut s = settings(UnknownPolicy::Refuse);
        s.invite_ttl = Duration::ZERO;
        let d = Directory::new(db.store.clone(), s, crate::support::CHAT_PLATFORMS);
        d.create_invite("ana", &other, Actor::cli())
            .await
            .unwrap()
            .code
    };
    // The sixth, even with a real code, is refused: too many tries.
    let phone = id("matrix:@ana:example.org");
    let real = dir
        .create_invite("ana", &phone, Actor::cli())
        .await
        .unwrap()
        .code;
    let limited = dir
        .consume_invite(&real, &guesser, Some(&dm()))
        .await
        .unwrap_err();
    assert!(
        matches!(limited, IdentityError::TooManyAttempts),
        "{limited}"
    );
    texts.push(
        pstral_core::i18n::Link::of_identity_error(&limited)
            .unwrap()
            .render(pstral_core::i18n::Lang::En),
    );
    let old = dir
        .consume_invite(&expired, &other, Some(&dm()))
        .await
        .unwrap_err();
    texts.push(
        pstral_core::i18n::Link::of_identity_error(&old)
            .unwrap()
            .render(pstral_core::i18n::Lang::En),
    );
    texts.dedup();
    assert_eq!(texts.len(), 1, "one text for every failure: {texts:?}");

    // Others trying her code, as often as they like, lock only themselves.
    for n in 0..12 {
        let stranger = id(&format!("discord:70{n}"));
        for _ in 0..3 {
            let e = dir
                .consume_invite(&real, &stranger, Some(&dm()))
                .await
                .unwrap_err();
            assert!(
                matches!(
                    e,
                    IdentityError::InviteForAnother | IdentityError::TooManyAttempts
                ),
                "{e}"
            );
        }
    }
    // ana first wrote to the bot (a viewer was made for her), then got her
    // invite: she may still take it.
    assert!(matches!(
        dir.resolve(&phone, Some(&dm())).await.unwrap(),
        Resolution::Created(_)
    ));
    let user = dir
        .consume_invite(&real, &phone, Some(&dm()))
        .await
        .unwrap();
    assert_eq!((user.name.as_str(), user.role), ("ana", Role::Executor));
    assert_eq!(dir.user_of(&phone).await.unwrap().unwrap().name, "ana");
}

async fn an_invite_that_names_an_account_links_that_account_only(db: TestDb) {
    let dir = Directory::new(
        db.store.clone(),
        settings(UnknownPolicy::Refuse),
        crate::support::CHAT_PLATFORMS,
    );
    dir.add_user("bob", Role::Executor, Actor::cli())
        .await
        .unwrap();
    let bob = id("matrix:@bob:example.org");
    let invite = dir.create_invite("bob", &bob, Actor::cli()).await.unwrap();
    assert_eq!(invite.for_identity, bob);
    // Mallory overheard it: it does nothing for her, however often she
    // tries and however she writes it, and it stays Bob's.
    let mallory = id("matrix:@mallory:example.org");
    let small_capitals: String = invite
        .code
        .chars()
        .map(|c| match c {
            'E' => 'ᴇ',
            'B' => 'ʙ',
            'R' => 'ʀ',
            'V' => 'ᴠ',
            c => c,
        })
        .collect();
    for written in [
        invite.code.clone(),
        invite.code.to_lowercase(),
        small_capitals,
    ] {
        dir.consume_invite(&written, &mallory, Some(&dm()))
            .await
            .expect_err("a code named for Bob does nothing for Mallory");
    }
    for _ in 0..6 {
        dir.consume_invite(&invite.code, &mallory, Some(&dm()))
            .await
            .unwrap_err();
    }
    assert_eq!(dir.user_of(&mallory).await.unwrap(), None);
    let user = dir
        .consume_invite(&invite.code, &bob, Some(&dm()))
        .await
        .unwrap();
    assert_eq!(user.name, "bob");
    let events = Audit::new(db.store.clone())
        .list(&AuditFilter::default(), Order::OldestFirst, 100)
        .await
        .unwrap();
    let refused = events
        .iter()
        .find(|e| e.kind == "access_refused")
        .expect("the attempt is audited");
    assert!(refused.payload.contains("invite_for_another_account"));
    let created = events.iter().find(|e| e.kind == "invite_created").unwrap();
    assert!(created.payload.contains("matrix:@bob:example.org"));
}

/// A person whose account the admin does not know asks, by name, in a DM;
/// an admin approves (or denies); nothing secret travels, and the account
/// that asked is the one linked.
async fn a_link_request_is_approved_or_denied_by_an_admin(db: TestDb) {
    let dir = Directory::new(
        db.store.clone(),
        settings(UnknownPolicy::Refuse),
        crate::support::CHAT_PLATFORMS,
    );
    dir.add_user("carl", Role::Executor, Actor::cli())
        .await
        .unwrap();
    let carl = id("matrix:@carl:example.org");
    let asked = dir.request_link(&carl, "Carl", Some(&dm())).await.unwrap();
    assert_eq!(asked.user, "carl");
    // Asked for a name nobody has: recorded all the same (asking tells
    // nobody which names exist), and approving it says why it cannot.
    let eve = id("matrix:@eve:example.org");
    dir.request_link(&eve, "nobody", Some(&dm())).await.unwrap();
    let waiting = dir.link_requests().await.unwrap();
    let listed: Vec<(&str, &str)> = waiting
        .iter()
        .map(|r| (r.identity.as_str(), r.user.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("matrix:@carl:example.org", "carl"),
            ("matrix:@eve:example.org", "nobody")
        ]
    );
    // Asking links nothing.
    assert_eq!(dir.user_of(&carl).await.unwrap(), None);
    let err = dir
        .approve_link(&eve, "nobody", Actor::cli())
        .await
        .unwrap_err();
    assert!(matches!(err, IdentityError::UnknownUser(_)), "{err}");
    // The admin names the user they read: a request changed since (the
    // account asked again, for someone else) is not approved.
    let err = dir
        .approve_link(&carl, "root", Actor::cli())
        .await
        .unwrap_err();
    assert!(matches!(err, IdentityError::RequestChanged { .. }), "{err}");
    let user = dir.approve_link(&carl, "carl", Actor::cli()).await.unwrap();
    assert_eq!(user.name, "carl");
    assert_eq!(dir.user_of(&carl).await.unwrap().unwrap().name, "carl");
    // Approved once: the request is gone.
    let again = dir
        .approve_link(&carl, "carl", Actor::cli())
        .await
        .unwrap_err();
    assert!(matches!(again, IdentityError::NoLinkRequest(_)), "{again}");
    // A linked account cannot ask to become someone else.
    let err = dir
        .request_link(&carl, "root", Some(&dm()))
        .await
        .unwrap_err();
    assert!(matches!(err, IdentityError::AlreadyLinked { .. }), "{err}");
    // A bait and switch: asked to be an intern, listed so, then asked again
    // to be an admin before the approval: the approval of the intern links
    // nothing.
    dir.add_user("root", Role::Admin, Actor::cli())
        .await
        .unwrap();
    dir.add_user("intern", Role::Viewer, Actor::cli())
        .await
        .unwrap();
    let switcher = id("matrix:@switch:example.org");
    dir.request_link(&switcher, "intern", Some(&dm()))
        .await
        .unwrap();
    let listed = dir.link_requests().await.unwrap();
    let shown = listed
        .iter()
        .find(|r| r.identity == switcher.to_string())
        .unwrap();
    assert_eq!(
        (shown.user.as_str(), shown.role),
        ("intern", Some(Role::Viewer))
    );
    dir.request_link(&switcher, "root", Some(&dm()))
        .await
        .unwrap();
    let listed = dir.link_requests().await.unwrap();
    let now = listed
        .iter()
        .find(|r| r.identity == switcher.to_string())
        .unwrap();
    assert_eq!(
        now.role,
        Some(Role::Admin),
        "the list says whom it asks to be"
    );
    let err = dir
        .approve_link(&switcher, "intern", Actor::cli())
        .await
        .unwrap_err();
    assert!(matches!(err, IdentityError::RequestChanged { .. }), "{err}");
    assert_eq!(dir.user_of(&switcher).await.unwrap(), None);
    // Denied: gone, nothing linked.
    let mallory = id("matrix:@mallory:example.org");
    dir.request_link(&mallory, "carl", Some(&dm()))
        .await
        .unwrap();
    assert_eq!(dir.deny_link(&mallory, Actor::cli()).await.unwrap(), "carl");
    assert_eq!(dir.user_of(&mallory).await.unwrap(), None);
    assert!(
        dir.link_requests()
            .await
            .unwrap()
            .iter()
            .all(|r| r.identity != mallory.to_string())
    );
    // Knocking again and again is limited like invite attempts.
    let knocker = id("discord:31337");
    let mut refused = false;
    for _ in 0..8 {
        refused |= matches!(
            dir.request_link(&knocker, "carl", Some(&dm())).await,
            Err(IdentityError::TooManyAttempts)
        );
    }
    assert!(refused, "requests are limited per account");
    // A terminal user or an API token is not a chat account to link.
    let err = dir
        .request_link(&id("api:x"), "carl", None)
        .await
        .unwrap_err();
    assert!(matches!(err, IdentityError::NotLinkable { .. }), "{err}");
    let events = kinds(&db).await;
    assert!(events.iter().filter(|k| *k == "link_request").count() >= 4);
    assert!(events.iter().any(|k| k == "identity_linked"));
}

/// Someone who left: disabled, refused at their next action whatever the
/// policy (their account stays linked, so auto_viewer does not make them
/// someone new), their tokens revoked; removed, their accounts unlinked and,
/// when asked, their history erased; every step audited.
async fn a_disabled_or_removed_user_is_refused_when_they_act(db: TestDb) {
    let dir = Directory::new(
        db.store.clone(),
        settings(UnknownPolicy::AutoViewer),
        crate::support::CHAT_PLATFORMS,
    );
    let ana = id("discord:111");
    let bob = id("matrix:@bob:example.org");
    dir.add_user("root", Role::Admin, Actor::cli())
        .await
        .unwrap();
    dir.add_user("ana", Role::Admin, Actor::cli())
        .await
        .unwrap();
    dir.link("ana", &ana, Actor::cli()).await.unwrap();
    dir.add_user("bob", Role::Executor, Actor::cli())
        .await
        .unwrap();
    dir.link("bob", &bob, Actor::cli()).await.unwrap();
    let tokens =
        pstral_core::admin::tokens::Tokens::new(db.store.clone(), Audit::new(db.store.clone()));
    let token = tokens
        .create("ana", "laptop", None, Actor::cli())
        .await
        .unwrap();
    assert!(tokens.authenticate(&token.token).await.is_ok());

    dir.disable("ana", Actor::cli()).await.unwrap();
    assert_eq!(dir.user_of(&ana).await.unwrap(), None);
    assert_eq!(dir.resolve(&ana, None).await.unwrap(), Resolution::Refused);
    assert!(tokens.authenticate(&token.token).await.is_err());
    let listed = dir.list().await.unwrap();
    let entry = listed.iter().find(|e| e.user.name == "ana").unwrap();
    assert!(entry.disabled);
    assert_eq!(entry.identities, ["discord:111"]);
    // Enabled again: known again (the tokens stay revoked).
    dir.enable("ana", Actor::cli()).await.unwrap();
    assert!(matches!(
        dir.resolve(&ana, None).await.unwrap(),
        Resolution::Known(u) if u.name == "ana"
    ));
    // The last enabled admin stays.
    dir.disable("root", Actor::cli()).await.unwrap();
    assert!(matches!(
        dir.disable("ana", Actor::cli()).await,
        Err(IdentityError::LastAdmin(_))
    ));

    // Bob leaves: removed, history erased.
    let conversations = pstral_core::conversation::Conversations::new(db.store.clone());
    let bob_user = dir.user("bob").await.unwrap().unwrap();
    let place = dm();
    let conversation = conversations
        .find_or_start(
            &place,
            "root-1",
            pstral_core::conversation::Mode::Sql,
            Some(bob_user.id),
        )
        .await
        .unwrap();
    conversations
        .append(
            conversation.id,
            pstral_core::conversation::NewMessage {
                speaker: pstral_core::conversation::Speaker::User,
                user_id: Some(bob_user.id),
                platform_message_id: Some("m1"),
                content: "how many clients?",
            },
        )
        .await
        .unwrap();
    let unlinked = dir.remove("bob", true, Actor::cli()).await.unwrap();
    assert_eq!(unlinked, ["matrix:@bob:example.org"]);
    assert_eq!(dir.user_of(&bob).await.unwrap(), None);
    assert!(
        conversations
            .history(conversation.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Unlinked, the account is no one's: auto_viewer may make it a viewer.
    assert!(matches!(
        dir.resolve(&bob, None).await.unwrap(),
        Resolution::Created(u) if u.role == Role::Viewer && u.name != "bob"
    ));
    let kinds = kinds(&db).await;
    for kind in ["user_changed", "identity_unlinked", "access_refused"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
}

/// A platform's accounts are linkable when the build's adapters bring it:
/// a new platform is a new adapter, nothing in the core.
async fn only_accounts_of_the_builds_chat_platforms_are_linked(db: TestDb) {
    let slack = pstral_chat::IdentitySyntax {
        platform: "slack",
        rule: "a Slack id is U followed by letters and digits",
        check: |id| id.starts_with('U'),
    };
    let dir = Directory::new(
        db.store.clone(),
        settings(UnknownPolicy::Refuse),
        &[pstral_discord::IDENTITY, slack],
    );
    dir.add_user("alice", Role::Viewer, Actor::cli())
        .await
        .unwrap();
    dir.link("alice", &id("slack:U024BE7LH"), Actor::cli())
        .await
        .unwrap();
    dir.create_invite("alice", &id("slack:U0G9QF9C6"), Actor::cli())
        .await
        .unwrap();
    // Matrix is a platform Pstral knows, but not one of this build.
    let err = dir
        .link("alice", &id("matrix:@alice:example.org"), Actor::cli())
        .await
        .unwrap_err();
    assert!(matches!(err, IdentityError::NotLinkable { .. }), "{err}");
    // The refusal names the platforms this build links.
    assert!(err.to_string().contains("(discord, slack)"), "{err}");
    assert_eq!(
        dir.user_of(&id("slack:U024BE7LH"))
            .await
            .unwrap()
            .map(|u| u.name),
        Some("alice".to_owned())
    );
}

on_both_backends!(
    only_accounts_of_the_builds_chat_platforms_are_linked,
    a_disabled_or_removed_user_is_refused_when_they_act,
    an_invite_that_names_an_account_links_that_account_only,
    a_link_request_is_approved_or_denied_by_an_admin,
    names_cannot_impersonate,
    invite_attempts_are_limited_and_read_the_same,
    users_are_created_listed_and_linked,
    mistakes_are_refused_with_a_reason,
    a_role_change_applies_at_the_next_action,
    unknown_people_are_refused_and_the_refusal_is_audited,
    unknown_people_become_viewers_under_auto_viewer,
    a_newcomer_writing_twice_at_once_becomes_one_user,
    invite_codes_link_once,
    expired_invite_codes_are_refused,
    one_invite_raced_by_two_replicas_links_one_identity,
);
