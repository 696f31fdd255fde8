//! The quickstarts' token flow (issue 9): no password or token in `Debug` output, and the
//! constant-time credential check accepts exactly the demo account.
#![cfg(all(feature = "axum", feature = "actix", feature = "redis"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "../examples/common/quickstart.rs"]
#[allow(dead_code)]
mod quickstart;

use quickstart::{Auth, Login, RefreshRequest, Settings};

fn embedded() -> Settings {
    Settings { port: 0, redis_url: None, signing_key_file: None }
}

#[tokio::test]
async fn debug_output_hides_passwords_and_tokens() {
    let login = Login { username: "demo".to_owned(), password: "correct horse battery staple".to_owned() };
    let printed = format!("{login:?}");
    assert!(!printed.contains("correct horse"), "the password is printed: {printed}");
    assert!(printed.contains("demo"), "the user name is not a secret: {printed}");

    let refresh = RefreshRequest { refresh_token: "rt-secret-value".to_owned() };
    let printed = format!("{refresh:?}");
    assert!(!printed.contains("rt-secret-value"), "the refresh token is printed: {printed}");

    let auth = Auth::new(&embedded()).await.unwrap();
    let tokens = auth.login(&Login { username: "demo".to_owned(), password: "demo".to_owned() }).await.unwrap();
    let printed = format!("{tokens:?}");
    let fields = serde_json::to_value(&tokens).unwrap();
    for field in ["access_token", "refresh_token"] {
        let token = fields[field].as_str().unwrap();
        assert!(!printed.contains(token), "the {field} is printed: {printed}");
    }
    assert!(printed.contains("Bearer"), "the token type is not a secret: {printed}");
}

#[tokio::test]
async fn login_accepts_only_the_exact_demo_credentials() {
    let auth = Auth::new(&embedded()).await.unwrap();
    let attempt =
        |username: &str, password: &str| Login { username: username.to_owned(), password: password.to_owned() };
    assert!(auth.login(&attempt("demo", "demo")).await.is_ok());
    for (username, password) in [
        ("demo", "dem"),
        ("demo", "demo\0"),
        ("demo", "DEMO"),
        ("dem", "odemo"),
        ("demodemo", ""),
        ("", ""),
        ("demo ", "demo"),
    ] {
        let result = auth.login(&attempt(username, password)).await;
        assert!(
            matches!(result, Err(quickstart::FlowError::BadCredentials)),
            "{username:?} / {password:?} must be refused: {result:?}"
        );
    }
}
