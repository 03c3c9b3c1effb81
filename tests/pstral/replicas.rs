//! Two replicas, one bot: the election on real PostgreSQL (a leader's
//! session that dies, a leader cut from the database without dying), each
//! event acted on once whoever sees it, an answer a dead process left
//! half-written ended by the next, and a second process refused on SQLite.
//! `failover` runs two `pstral run` processes end to end.

use std::sync::Arc;
use std::time::Duration;

use pstral_chat::{ChatPlatform, MessageRef, Place};
use pstral_core::replicas::{About, Election, Handled, Replica, Role};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::answers::{Harness, MODEL, Options};
use crate::support::TestDb;
use crate::support::fake_model::{FakeModel, Script};

mod failover;

/// What the tests give `ha.takeover`: short, so that a lease runs out
/// quickly; the default's behaviour is the same, ten times slower.
const TAKEOVER: Duration = Duration::from_secs(2);

/// One replica's candidacy on `db`, reaching PostgreSQL at `port` (the
/// server's own, or a proxy's).
struct Candidate {
    role: watch::Receiver<Role>,
    stop: CancellationToken,
}

impl Candidate {
    fn start(db: &TestDb, name: &str, port: Option<u16>) -> Self {
        let mut options = pstral_core::store::session_options(&db.settings, "pstral-leadership")
            .expect("PostgreSQL")
            .unwrap();
        if let Some(port) = port {
            options = options.host("127.0.0.1").port(port);
        }
        let (tx, role) = watch::channel(Role::Standby);
        let stop = CancellationToken::new();
        let election = Election {
            options,
            replica: name.to_owned(),
            takeover: TAKEOVER,
        };
        tokio::spawn(election.run(tx, stop.clone()));
        Self { role, stop }
    }

    /// Waits until the role is one `wanted` accepts (at most `within`);
    /// when it came.
    async fn becomes(
        &self,
        what: &str,
        within: Duration,
        wanted: impl Fn(&Role) -> bool,
    ) -> Instant {
        let mut role = self.role.clone();
        let reached = tokio::time::timeout(within, role.wait_for(|r| wanted(r))).await;
        match reached {
            Ok(Ok(_)) => Instant::now(),
            Ok(Err(_)) => panic!("the election of {what} stopped"),
            Err(_) => panic!("not {what} within {within:?}: {:?}", *self.role.borrow()),
        }
    }
}

impl Drop for Candidate {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn is_leader(r: &Role) -> bool {
    matches!(r, Role::Leader { .. })
}

#[tokio::test]
async fn one_replica_leads_and_the_other_takes_over_within_the_takeover_when_its_session_dies() {
    let db = TestDb::postgres().await;
    let a = Candidate::start(&db, "a", None);
    a.becomes("leader", TAKEOVER, is_leader).await;
    assert_eq!(*a.role.borrow(), Role::Leader { term: 1 });
    let b = Candidate::start(&db, "b", None);
    // b has stood once the server shows its session; a leads still.
    wait_for_sessions(&db, 2).await;
    assert_eq!(*b.role.borrow(), Role::Standby);
    assert_eq!(*a.role.borrow(), Role::Leader { term: 1 });

    // a's process dies: the server ends its session (as at `kill -9`).
    let died = Instant::now();
    db.tamper("SELECT pg_terminate_backend(backend) FROM leadership")
        .await;
    let led = b.becomes("leader", TAKEOVER, is_leader).await;
    assert_eq!(*b.role.borrow(), Role::Leader { term: 2 });
    println!(
        "takeover after the leader's session ended: {:?}",
        led - died
    );
    a.becomes("deposed", TAKEOVER, |r| matches!(r, Role::Deposed(_)))
        .await;
}

#[tokio::test]
async fn a_leader_cut_from_the_database_stops_before_the_standby_takes_over() {
    let db = TestDb::postgres().await;
    let proxy = Freezable::start(&db).await;
    let a = Candidate::start(&db, "a", Some(proxy.port));
    a.becomes("leader", TAKEOVER, is_leader).await;
    let b = Candidate::start(&db, "b", None);
    wait_for_sessions(&db, 2).await;

    // The network between a and the database stops carrying anything; the
    // server keeps a's session (and its lock) as a cut network leaves it.
    proxy.freeze();
    let cut = Instant::now();
    let deposed = a
        .becomes("deposed", TAKEOVER, |r| matches!(r, Role::Deposed(_)))
        .await;
    let led = b.becomes("leader", TAKEOVER * 2, is_leader).await;
    assert!(
        deposed < led,
        "a stopped serving {:?} after the cut, b led {:?} after it",
        deposed - cut,
        led - cut
    );
    assert_eq!(*b.role.borrow(), Role::Leader { term: 2 });
    println!(
        "cut: a stopped after {:?}, b led after {:?}",
        deposed - cut,
        led - cut
    );

    // What a still believed it could claim under term 1 is refused.
    let stale = Replica::new(
        db.store.clone(),
        "a",
        watch::channel(Role::Leader { term: 1 }).1,
    );
    let leader = Replica::new(db.store.clone(), "b", b.role.clone());
    let place = place();
    assert_eq!(
        stale.first_time(&place, "m1").await.unwrap(),
        Handled::NotLeader
    );
    assert_eq!(
        leader.first_time(&place, "m1").await.unwrap(),
        Handled::First
    );
    assert_eq!(
        leader.first_time(&place, "m1").await.unwrap(),
        Handled::Again
    );
}

#[tokio::test]
async fn an_event_two_replicas_race_for_is_acted_on_by_one() {
    let db = TestDb::postgres().await;
    let other = db.another_replica().await;
    let one = Replica::alone(db.store.clone());
    let two = Replica::alone(other);
    let place = place();
    for n in 0..20 {
        let id = format!("event-{n}");
        let (first, second) =
            tokio::join!(one.first_time(&place, &id), two.first_time(&place, &id));
        let mut outcomes = [first.unwrap(), second.unwrap()];
        outcomes.sort_by_key(|h| *h as u8);
        assert_eq!(outcomes, [Handled::First, Handled::Again], "{id}");
    }
    // A standby acts on nothing.
    let standby = Replica::new(db.store.clone(), "s", watch::channel(Role::Standby).1);
    assert_eq!(
        standby.first_time(&place, "other").await.unwrap(),
        Handled::NotLeader
    );
}

#[tokio::test]
async fn an_answer_a_dead_process_left_half_written_is_ended_by_the_next_with_its_text_and_a_note()
{
    let (_fake, h, asking) = answering_slowly().await;
    // It dies mid-answer: nothing of it runs any more, as at `kill -9`.
    asking.abort();
    let _ = asking.await;
    let (placeholder, shown) = h.platform.messages().into_iter().next().unwrap();
    assert!(shown.ends_with(pstral_chat::STREAMING_CURSOR), "{shown}");

    // The next process (another instance on the same database) ends it.
    let next = h.restarted();
    assert_eq!(
        next.end_interrupted(h.platform.as_ref() as &dyn ChatPlatform)
            .await,
        1
    );
    let ended = h.platform.text_of(&placeholder.id).unwrap();
    let partial = shown.trim_end_matches(pstral_chat::STREAMING_CURSOR);
    assert!(ended.starts_with(partial.trim_end()), "{ended}");
    assert!(ended.ends_with("Ask again for a whole answer."), "{ended}");
    assert!(!ended.contains(pstral_chat::STREAMING_CURSOR), "{ended}");
    let events = h.audited("answer").await;
    let last = events.last().unwrap();
    assert_eq!(last["ending"], "interrupted", "{last}");
    assert_eq!(last["question"], "q0", "{last}");
    assert!(
        last["text"].as_str().unwrap().starts_with("word0 word1"),
        "{last}"
    );
    // Ended once: a later connection finds nothing left.
    assert_eq!(
        next.end_interrupted(h.platform.as_ref() as &dyn ChatPlatform)
            .await,
        0
    );
}

#[tokio::test]
async fn a_process_whose_answer_another_ended_writes_nothing_more_into_it() {
    let (_fake, h, asking) = answering_slowly().await;
    // This process was frozen past the takeover: the next leader ended its
    // answer while it still ran.
    let next = h.restarted();
    assert_eq!(
        next.end_interrupted(h.platform.as_ref() as &dyn ChatPlatform)
            .await,
        1
    );
    let (placeholder, ended) = h.platform.messages().into_iter().next().unwrap();
    assert!(ended.ends_with("Ask again for a whole answer."), "{ended}");
    // It wakes and goes on: its next edit finds the answer no longer its
    // own, and nothing is written over the ending.
    tokio::time::timeout(Duration::from_secs(30), asking)
        .await
        .expect("the answer stops")
        .unwrap();
    assert_eq!(h.platform.text_of(&placeholder.id).unwrap(), ended);
    assert_eq!(h.platform.messages().len(), 1);
}

#[tokio::test]
async fn a_process_does_not_end_the_answers_it_is_writing_itself() {
    let db = TestDb::sqlite().await;
    let me = Replica::alone(db.store.clone());
    let message = MessageRef {
        place: place(),
        id: "p1".to_owned(),
    };
    let open = me.opened(&message, &About::default()).await.unwrap();
    open.showing(&message, "So far", false).await;
    assert_eq!(me.left_open("discord").await.unwrap(), []);
    let next = Replica::alone(db.store.clone());
    let left = next.left_open("discord").await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].shown, "So far");
    open.closed().await;
    assert_eq!(next.left_open("discord").await.unwrap(), []);
}

/// A bot answering a question word by word for seconds, once some of its
/// answer shows: the model, the bot, and the task answering.
async fn answering_slowly() -> (FakeModel, Harness, tokio::task::JoinHandle<()>) {
    let fake = FakeModel::start(&[MODEL]).await;
    let words: Vec<String> = (0..400).map(|n| format!("word{n} ")).collect();
    fake.then(Script::tokens(words).every(Duration::from_millis(20)));
    let h = Harness::new(&[fake.url()], Options::default()).await;
    let asking = h.spawn_ask(1, "Tell me everything");
    let shown = h
        .platform
        .wait_until(Duration::from_secs(30), |actions| {
            actions.iter().any(|a| {
                matches!(&a.action, pstral_chat::OutboundAction::Edit { text, .. } if text.contains("word3"))
            })
        })
        .await;
    assert!(shown, "some of the answer shown");
    (fake, h, asking)
}

fn place() -> Place {
    Place {
        platform: "discord".parse().unwrap(),
        channel: "c1".to_owned(),
        thread: None,
        private: false,
    }
}

/// Waits until the server shows `n` sessions of the leadership.
async fn wait_for_sessions(db: &TestDb, n: i64) {
    let pstral_core::store::Store::Postgres(pool) = &db.store else {
        unreachable!("PostgreSQL")
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE application_name = 'pstral-leadership' AND datname = current_database()",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if count >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{count} sessions of the leadership"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A TCP proxy in front of PostgreSQL whose traffic can be stopped without
/// closing anything: a cut network, as neither end can tell at once.
pub(crate) struct Freezable {
    pub(crate) port: u16,
    frozen: Arc<watch::Sender<bool>>,
}

impl Freezable {
    pub(crate) async fn start(db: &TestDb) -> Self {
        let pstral_core::store::DatabaseUrl::Postgres(url) = &db.settings.url else {
            unreachable!("PostgreSQL")
        };
        let upstream = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let frozen = Arc::new(watch::channel(false).0);
        let watching = Arc::clone(&frozen);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = tokio::net::TcpStream::connect(&upstream).await.unwrap();
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(carry(client_read, server_write, watching.subscribe()));
                tokio::spawn(carry(server_read, client_write, watching.subscribe()));
            }
        });
        Self { port, frozen }
    }

    pub(crate) fn freeze(&self) {
        self.frozen.send_replace(true);
    }
}

/// Copies `from` to `to` until either closes; nothing moves while frozen.
async fn carry(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut frozen: watch::Receiver<bool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if frozen.wait_for(|f| !f).await.is_err() {
            return;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}
