//! The fake's REST routes: what each endpoint the bot calls answers, and
//! the form errors Discord gives for content, descriptions and locales it
//! does not take.

use super::*;

const MAX_CONTENT: usize = 2000;

fn role_json(id: u64, name: &str, permissions: u64) -> Value {
    json!({"id": id.to_string(), "name": name, "color": 0, "hoist": false, "icon": null,
        "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
        "unicode_emoji": null, "position": 0, "permissions": permissions.to_string(),
        "managed": false, "mentionable": false, "flags": 0})
}

fn too_long(content: &Value) -> bool {
    content
        .as_str()
        .is_some_and(|c| c.chars().count() > MAX_CONTENT)
}

/// The longest description of an attachment Discord takes.
const MAX_DESCRIPTION: usize = 1024;

/// Whether a file's description in `payload_json` is longer than Discord
/// takes.
fn description_too_long(body: &Value) -> bool {
    body["attachments"].as_array().is_some_and(|files| {
        files.iter().any(|f| {
            f["description"]
                .as_str()
                .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION)
        })
    })
}

/// Discord's locales (its reference, "Locales"): a `*_localizations` key
/// outside this list fails a command registration with 50035.
const LOCALES: &[&str] = &[
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl",
    "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th",
    "zh-CN", "ja", "zh-TW", "ko",
];

/// The first localization key, anywhere in `value`, that is no Discord locale.
fn unknown_locale(value: &Value) -> Option<String> {
    match value {
        Value::Array(items) => items.iter().find_map(unknown_locale),
        Value::Object(fields) => fields.iter().find_map(|(key, v)| {
            if key.ends_with("_localizations")
                && let Some(map) = v.as_object()
                && let Some(bad) = map.keys().find(|k| !LOCALES.contains(&k.as_str()))
            {
                return Some(bad.clone());
            }
            unknown_locale(v)
        }),
        _ => None,
    }
}

fn form_error() -> (StatusCode, Option<Value>) {
    (
        StatusCode::BAD_REQUEST,
        Some(
            json!({"message": "Invalid Form Body", "code": 50035, "errors": {"content": {"_errors": [
            {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}}}),
        ),
    )
}

pub(super) fn route(
    inner: &mut Inner,
    gateway_url: &str,
    method: &Method,
    path: &str,
    query: &str,
    body: &Value,
    files: &[(String, Vec<u8>)],
) -> (StatusCode, Option<Value>) {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let id = |s: &str| s.parse::<u64>().ok();
    let ok = |v: Value| (StatusCode::OK, Some(v));
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["gateway"]) => ok(json!({"url": gateway_url})),
        ("GET", ["gateway", "bot"]) => ok(json!({"url": gateway_url, "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}})),
        ("GET", ["users", "@me"]) => ok(user_json(BOT)),
        ("PUT", ["applications", _, "guilds", _, "commands"] | ["applications", _, "commands"]) => {
            if let Some(bad) = unknown_locale(body) {
                return (
                    StatusCode::BAD_REQUEST,
                    Some(
                        json!({"message": "Invalid Form Body", "code": 50035, "errors": {"_errors": [
                        {"code": "BASE_TYPE_CHOICES", "message": format!("Value \"{bad}\" is not a valid enum value.")}]}}),
                    ),
                );
            }
            let commands: Vec<Value> = body
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, mut c)| {
                    c["id"] = json!((700_000_000_000_000_100u64 + i as u64).to_string());
                    c["application_id"] = json!(APP.to_string());
                    c["version"] = json!("1");
                    c["type"] = json!(1);
                    c
                })
                .collect();
            ok(Value::Array(commands))
        }
        ("GET", ["channels", c]) => {
            match id(c).and_then(|c| inner.channels.get(&c).map(|v| (c, *v))) {
                Some((c, (kind, parent, guild))) => {
                    let overwrites = inner.overwrites.get(&c).cloned().unwrap_or_default();
                    let mut channel = json!({"id": c.to_string(), "type": kind, "name": format!("channel-{c}"),
                        "position": 0, "permission_overwrites": overwrites});
                    if let Some(p) = parent {
                        channel["parent_id"] = json!(p.to_string());
                    }
                    if let Some(g) = guild {
                        channel["guild_id"] = json!(g.to_string());
                    }
                    ok(channel)
                }
                None => {
                    let (s, b) = error(StatusCode::NOT_FOUND, 10003, "Unknown Channel");
                    (s, Some(b))
                }
            }
        }
        ("GET", ["guilds", g]) if id(g) == Some(GUILD) => {
            let mut roles = vec![role_json(GUILD, "@everyone", inner.everyone)];
            roles.push(role_json(BOT_ROLE, "pstral", VIEW_CHANNEL | SEND_MESSAGES));
            roles.extend(
                inner
                    .roles
                    .iter()
                    .map(|(r, p)| role_json(*r, &format!("role-{r}"), *p)),
            );
            ok(
                json!({"id": GUILD.to_string(), "name": "Company", "icon": null, "owner_id": "1",
                "afk_timeout": 300, "verification_level": 0, "default_message_notifications": 0,
                "explicit_content_filter": 0, "roles": roles, "emojis": [], "features": [], "mfa_level": 0,
                "application_id": null, "system_channel_id": null, "system_channel_flags": 0,
                "rules_channel_id": null, "vanity_url_code": null, "description": null, "banner": null,
                "premium_tier": 0, "preferred_locale": "fr", "public_updates_channel_id": null,
                "nsfw_level": 0, "premium_progress_bar_enabled": false, "stickers": []}),
            )
        }
        ("GET", ["guilds", _, "members"]) => {
            let Some(members) = &inner.members else {
                // Without the Server Members intent.
                let (s, b) = error(StatusCode::FORBIDDEN, 50001, "Missing Access");
                return (s, Some(b));
            };
            let param = |name: &str| {
                query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
                    .and_then(|v| v.parse::<u64>().ok())
            };
            let limit = param("limit").unwrap_or(1);
            if !(1..=1000).contains(&limit) {
                let (s, b) = error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body");
                return (s, Some(b));
            }
            let after = param("after").unwrap_or(0);
            let page: Vec<Value> = members
                .iter()
                .filter(|(u, _)| *u > after)
                .take(usize::try_from(limit).unwrap_or(1))
                .map(|(u, roles)| {
                    let mut user = user_json(*u);
                    if *u == BOT {
                        user["bot"] = json!(true);
                    }
                    json!({"user": user, "roles": roles.iter().map(ToString::to_string).collect::<Vec<_>>(),
                        "joined_at": "2026-01-01T00:00:00+00:00", "deaf": false, "mute": false, "flags": 0})
                })
                .collect();
            ok(Value::Array(page))
        }
        ("GET", ["guilds", _, "members", u]) => {
            let roles: Vec<String> = if id(u) == Some(BOT) {
                vec![BOT_ROLE.to_string()]
            } else {
                vec![]
            };
            ok(
                json!({"user": user_json(id(u).unwrap_or(1)), "roles": roles, "joined_at": "2026-01-01T00:00:00+00:00",
                      "deaf": false, "mute": false, "flags": 0}),
            )
        }
        ("POST", ["users", "@me", "channels"]) => {
            let user: u64 = body["recipient_id"]
                .as_str()
                .and_then(id)
                .or(body["recipient_id"].as_u64())
                .unwrap();
            let channel = match inner.dms.get(&user) {
                Some(&c) => c,
                None => {
                    inner.next_id += 1;
                    let c = inner.next_id;
                    inner.dms.insert(user, c);
                    inner.channels.insert(c, (1, None, None));
                    c
                }
            };
            ok(json!({"id": channel.to_string(), "type": 1, "recipients": [user_json(user)]}))
        }
        ("POST", ["channels", c, "messages"]) => {
            if too_long(&body["content"]) || description_too_long(body) {
                return form_error();
            }
            let channel = id(c).unwrap();
            ok(create_message(inner, channel, body, files, 0))
        }
        ("PATCH", ["channels", _, "messages", m]) => {
            if too_long(&body["content"]) {
                return form_error();
            }
            match id(m).and_then(|m| inner.messages.get_mut(&m)) {
                Some(message) => {
                    if let Some(content) = body.get("content").filter(|c| !c.is_null()) {
                        message["content"] = content.clone();
                    }
                    if let Some(components) = body.get("components").filter(|c| !c.is_null()) {
                        message["components"] = components.clone();
                    }
                    message["edited_timestamp"] = json!("2026-11-22T10:00:01.000000+00:00");
                    ok(message.clone())
                }
                None => {
                    let (s, b) = error(StatusCode::NOT_FOUND, 10008, "Unknown Message");
                    (s, Some(b))
                }
            }
        }
        ("POST", ["interactions", _, token, "callback"]) => {
            let kind = body["type"].as_u64().unwrap_or(0);
            let ephemeral = body["data"]["flags"].as_u64().unwrap_or(0) & 64 != 0;
            if kind == 5 {
                inner.deferred.insert((*token).to_owned(), ephemeral);
            }
            (StatusCode::NO_CONTENT, None)
        }
        ("PATCH", ["webhooks", _, token, "messages", "@original"]) => {
            if too_long(&body["content"]) {
                return form_error();
            }
            let flags = if inner.deferred.get(*token) == Some(&true) {
                64
            } else {
                0
            };
            let channel = CHANNEL;
            // Editing the original again replaces it.
            inner.messages.retain(|_, m| {
                !(m["interaction_token"] == json!(token) && m["original"] == json!(true))
            });
            let mut m = create_message(inner, channel, body, files, flags);
            m["webhook_id"] = json!(APP.to_string());
            m["interaction_token"] = json!(token);
            m["original"] = json!(true);
            let id: u64 = m["id"].as_str().unwrap().parse().unwrap();
            inner.messages.insert(id, m.clone());
            ok(m)
        }
        ("DELETE", ["webhooks", _, token, "messages", "@original"]) => {
            inner.messages.retain(|_, m| {
                !(m["interaction_token"] == json!(token) && m["original"] == json!(true))
            });
            (StatusCode::NO_CONTENT, None)
        }
        ("POST", ["webhooks", _, token]) => {
            if too_long(&body["content"]) {
                return form_error();
            }
            let flags = body["flags"].as_u64().unwrap_or(0);
            let mut m = create_message(inner, CHANNEL, body, files, flags);
            m["webhook_id"] = json!(APP.to_string());
            m["interaction_token"] = json!(token);
            let id: u64 = m["id"].as_str().unwrap().parse().unwrap();
            inner.messages.insert(id, m.clone());
            ok(m)
        }
        _ => {
            let (s, b) = error(StatusCode::NOT_FOUND, 0, "404: Not Found");
            (s, Some(b))
        }
    }
}
