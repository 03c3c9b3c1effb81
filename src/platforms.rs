//! The chat platforms this build includes (each behind a cargo feature, all
//! on by default): each adapter's own settings, the connectors they make for
//! `pstral run`, and how each writes its people's ids.
//!
//! A new platform is its adapter's folder, its lines in Cargo.toml and one
//! line in [`platforms`] (CONTRIBUTING.md lists every line outside the
//! folder).

use std::sync::Arc;

use pstral_chat::IdentitySyntax;
use pstral_chat::settings::{Common, PlatformSettings};
use pstral_core::config::{Platforms, Settings};

/// The platforms of this build, and those it was built without.
pub(crate) fn platforms() -> Platforms {
    let mut platforms = Platforms::default();
    let mut include =
        |name: &'static str, settings: Option<Arc<dyn PlatformSettings>>| match settings {
            Some(settings) => platforms.included.push(settings),
            None => platforms.left_out.push(name),
        };
    include(
        "discord",
        built!("discord", pstral_discord::settings::DiscordSettings),
    );
    include(
        "matrix",
        built!("matrix", pstral_matrix::settings::MatrixSettings),
    );
    platforms
}

/// A platform's settings when the build has its feature, else `None` (its
/// crate is then not linked, and its path not compiled).
macro_rules! built {
    ($feature:literal, $settings:expr) => {{
        #[cfg(feature = $feature)]
        let settings: Option<Arc<dyn PlatformSettings>> = Some(Arc::new($settings));
        #[cfg(not(feature = $feature))]
        let settings: Option<Arc<dyn PlatformSettings>> = None;
        settings
    }};
}
use built;

/// How the platforms of this build write their people's ids, for what an
/// operator types (`user link`, the admin API).
pub(crate) fn identity_syntaxes() -> Vec<IdentitySyntax> {
    platforms().included.iter().map(|p| p.identity()).collect()
}

/// The chat platforms the settings enable, ready to connect.
pub(crate) fn connectors(settings: &Settings) -> Vec<Box<dyn pstral_chat::Connector>> {
    settings
        .platforms
        .iter()
        .map(|platform| {
            platform.connector(Common {
                labels: Arc::new(pstral_core::i18n::Wording(settings.general.language)),
                data_dir: settings.general.data_dir.clone(),
            })
        })
        .collect()
}
