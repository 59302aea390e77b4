//! What the examples share: the tenant of the environment, or a local
//! server standing in for it.

use roster::{ConfigError, LuccaApiKey, LuccaConfig};
use roster_emulator::LocalLucca;

/// The account of `LUCCA_HOST` and `LUCCA_API_KEY`, or, when either is not
/// set, the local Lucca server started now (kept alive by the returned
/// handle).
pub async fn lucca_from_env_or_local()
-> Result<(LuccaConfig, Option<LocalLucca>), Box<dyn std::error::Error>> {
    match LuccaConfig::from_env() {
        Ok(config) => Ok((config, None)),
        Err(ConfigError::MissingVariable { .. }) => {
            let lucca = LocalLucca::start().await?;
            println!(
                "No Lucca credentials: using the local Lucca server at {}",
                lucca.base_url()
            );
            let config = LuccaConfig::new(&lucca.base_url(), LuccaApiKey::new(lucca.api_key()))?;
            Ok((config, Some(lucca)))
        }
        Err(error) => Err(error.into()),
    }
}
