//! The WeChat client against the local emulator: token reuse and refresh, retries and the
//! no-retry rule for creating calls, error hints, upload form, UTF-8 bodies, secret hygiene.
//! Only 127.0.0.1 is contacted.

use std::time::Duration;

use wxemu::{Commerce, Emulator, Fault};
use wxsync::wechat::endpoint::{CONTENT_REPLY_MAX, REPLY_MAX};
use wxsync::wechat::{
    Article, ArticleType, Client, ClientOptions, DEFAULT_DEADLINE, ErrCode, Error, ErrorClass,
    ErrorKind, FooterProductInfo, ImageInfo, ImageItem, MediaId, ProductInfo, RetryPolicy, Secret,
    TokenMode,
};

fn options(emu: &Emulator) -> ClientOptions {
    let mut o = ClientOptions::new(emu.base_url(), emu.appid());
    o.secret = Some(Secret::new(emu.secret()));
    // Short delays keep the tests fast; the retry logic is the same.
    o.retry = RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    };
    o.read_timeout = Duration::from_secs(10);
    o
}

fn client(emu: &Emulator) -> Client {
    Client::new(options(emu)).expect("client")
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.extend_from_slice(&[0u8; 64]);
    b
}

fn jpeg() -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0];
    b.extend_from_slice(&[0u8; 64]);
    b
}

async fn cover(c: &Client) -> MediaId {
    c.add_image_material(jpeg(), "cover.jpg")
        .await
        .expect("cover upload")
        .media_id
}

fn article(thumb: &MediaId, title: &str) -> Article {
    Article {
        title: title.into(),
        author: Some("作者".into()),
        content: "<p>你好，世界</p><img src=\"http://mmbiz.qpic.cn/a/0\">".into(),
        thumb_media_id: Some(thumb.clone()),
        ..Article::default()
    }
}

fn token_calls(emu: &Emulator) -> usize {
    emu.calls("stable_token").len() + emu.calls("token").len()
}

#[tokio::test]
async fn token_is_fetched_once_per_run_and_reused() {
    let emu = Emulator::start().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut o = options(&emu);
    o.cache_dir = Some(cache.path().to_path_buf());
    let c = Client::new(o.clone()).unwrap();

    let thumb = cover(&c).await;
    c.upload_image(png(), "body.png").await.unwrap();
    let id = c.draft_add(&[article(&thumb, "一")]).await.unwrap();
    c.draft_get(&id).await.unwrap();
    assert_eq!(c.draft_count().await.unwrap(), 1);

    assert_eq!(emu.calls("stable_token").len(), 1);
    assert_eq!(
        emu.calls("token").len(),
        0,
        "stable mode never calls cgi-bin/token"
    );
    let tokens: std::collections::BTreeSet<_> = emu
        .log()
        .into_iter()
        .filter(|e| e.name() != "stable_token")
        .map(|e| e.access_token)
        .collect();
    assert_eq!(tokens.len(), 1, "every call used the same token");

    // The next run (a new client) reads the token from .wxsync/token.json, and still
    // announces it once (GitHub Actions masks it).
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    o.on_token = Some(std::sync::Arc::new(move |t: &Secret| {
        sink.lock().unwrap().push(t.expose().to_string())
    }));
    let c2 = Client::new(o).unwrap();
    c2.draft_count().await.unwrap();
    c2.draft_count().await.unwrap();
    assert_eq!(token_calls(&emu), 1);
    assert_eq!(seen.lock().unwrap().len(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(cache.path().join("token.json")).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
}

#[tokio::test]
async fn concurrent_calls_share_one_token_fetch() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.draft_count().await })
        })
        .collect();
    for h in calls {
        h.await.unwrap().unwrap();
    }
    assert_eq!(token_calls(&emu), 1);
}

#[tokio::test]
async fn classic_mode_uses_cgi_bin_token() {
    let emu = Emulator::start().unwrap();
    let mut o = options(&emu);
    o.token_mode = TokenMode::Classic;
    let c = Client::new(o).unwrap();
    c.draft_count().await.unwrap();
    c.draft_count().await.unwrap();
    assert_eq!(emu.calls("token").len(), 1);
    assert_eq!(emu.calls("stable_token").len(), 0);
    assert_eq!(emu.calls("token")[0].method, "GET");
}

#[tokio::test]
async fn expired_token_is_refreshed_once_on_42001() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    c.draft_count().await.unwrap();
    let first = c.access_token().await.unwrap();
    emu.advance_clock(7200);
    // The client still believes in its token; WeChat says 42001; one refresh, one retry.
    c.draft_count().await.unwrap();
    let counts: Vec<_> = emu.calls("draft/count").iter().map(|e| e.errcode).collect();
    assert_eq!(counts, vec![Some(0), Some(42001), Some(0)]);
    assert_eq!(emu.calls("stable_token").len(), 2);
    assert_ne!(c.access_token().await.unwrap(), first);
}

#[tokio::test]
async fn a_token_rejected_twice_fails_after_one_refresh() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    emu.inject(Fault::errcode("draft/count", 40001).times(2));
    let err = c.draft_count().await.unwrap_err();
    assert_eq!(err.errcode(), Some(ErrCode::InvalidCredential));
    assert_eq!(emu.calls("draft/count").len(), 2, "retried exactly once");
    assert_eq!(emu.calls("stable_token").len(), 2);
}

#[tokio::test]
async fn a_fixed_token_is_never_refreshed() {
    let emu = Emulator::start().unwrap();
    let mut o = ClientOptions::new(emu.base_url(), "");
    o.token_mode = TokenMode::Env;
    o.access_token = Some(Secret::new("80_a-token-minted-elsewhere"));
    let c = Client::new(o).unwrap();
    let err = c.draft_count().await.unwrap_err();
    assert_eq!(err.code(), Some(40001));
    assert_eq!(err.class(), ErrorClass::RefreshToken);
    assert_eq!(token_calls(&emu), 0);
    assert!(!err.to_string().contains("80_a-token-minted-elsewhere"));
}

#[tokio::test]
async fn update_is_retried_on_system_error() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let thumb = cover(&c).await;
    let id = c.draft_add(&[article(&thumb, "旧标题")]).await.unwrap();
    emu.inject(Fault::errcode("draft/update", -1).times(2));
    c.draft_update(&id, 0, &article(&thumb, "新标题"))
        .await
        .unwrap();
    let codes: Vec<_> = emu
        .calls("draft/update")
        .iter()
        .map(|e| e.errcode)
        .collect();
    assert_eq!(codes, vec![Some(-1), Some(-1), Some(0)]);
    assert_eq!(
        emu.draft(id.as_str()).unwrap().articles[0]["title"],
        "新标题"
    );
}

#[tokio::test]
async fn idempotent_calls_retry_transport_failures_and_5xx() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    c.draft_count().await.unwrap();
    emu.inject(Fault::drop_before("draft/count"));
    emu.inject(Fault::http_status("draft/count", 502));
    emu.inject(Fault::errcode("draft/count", 45011));
    assert_eq!(c.draft_count().await.unwrap(), 0);
    assert_eq!(emu.calls("draft/count").len(), 5);
}

#[tokio::test]
async fn add_is_not_retried_after_a_dropped_connection() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let thumb = cover(&c).await;
    emu.inject(Fault::drop_after("draft/add"));
    let err = c.draft_add(&[article(&thumb, "标题")]).await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err}");
    assert!(err.is_ambiguous());
    assert_eq!(emu.calls("draft/add").len(), 1, "never sent twice");
    // The server did create it: exactly why a blind retry would duplicate the draft.
    assert_eq!(emu.drafts().len(), 1);
    assert!(err.hint().unwrap().contains("not retried"));
}

#[tokio::test]
async fn add_is_not_retried_after_a_timeout_or_5xx() {
    let emu = Emulator::start().unwrap();
    let mut o = options(&emu);
    o.read_timeout = Duration::from_millis(300);
    let c = Client::new(o).unwrap();
    let thumb = cover(&c).await;

    emu.inject(Fault::delay("draft/add", 3000));
    let err = c.draft_add(&[article(&thumb, "标题")]).await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err}");
    assert_eq!(emu.calls("draft/add").len(), 1);

    emu.inject(Fault::http_status("material/add_material", 503));
    let err = c.add_image_material(jpeg(), "c.jpg").await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err}");
    assert_eq!(emu.calls("material/add_material").len(), 2);

    emu.inject(Fault::errcode("draft/add", -1));
    let err = c.draft_add(&[article(&thumb, "标题")]).await.unwrap_err();
    assert!(err.is_outcome_unknown());
    assert_eq!(emu.calls("draft/add").len(), 2);
}

#[tokio::test]
async fn add_is_retried_when_the_answer_is_a_clear_rejection() {
    // 45011 means the call was refused before anything happened: safe to repeat.
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let thumb = cover(&c).await;
    emu.inject(Fault::errcode("draft/add", 45011));
    c.draft_add(&[article(&thumb, "标题")]).await.unwrap();
    assert_eq!(emu.calls("draft/add").len(), 2);
    assert_eq!(emu.drafts().len(), 1);
}

fn assert_hint(err: &Error, code: i64, needle: &str) {
    assert_eq!(err.code(), Some(code), "{err}");
    let hint = err.hint().unwrap_or_default();
    assert!(
        hint.contains(needle),
        "hint for {code} lacks {needle:?}: {hint}"
    );
    assert!(err.to_string().contains(&hint), "Display shows the hint");
    assert_eq!(err.class(), ErrorClass::Fail, "{code}");
}

#[tokio::test]
async fn whitelist_error_names_the_ip_and_the_fixes() {
    let emu = Emulator::start().unwrap();
    emu.configure(|c| {
        c.allowed_ips = Some(vec!["198.51.100.1".into()]);
        c.seen_ip = Some("203.0.113.9".into());
    });
    let err = client(&emu).draft_count().await.unwrap_err();
    assert_hint(&err, 40164, "203.0.113.9");
    assert_eq!(err.rejected_ip(), Some("203.0.113.9"));
    let text = err.to_string();
    assert!(
        text.contains("IP 白名单") && text.contains("proxy"),
        "{text}"
    );
}

#[tokio::test]
async fn validation_errors_surface_with_their_hints() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let thumb = cover(&c).await;

    let mut a = article(&thumb, "标");
    a.content_source_url = Some("http://localhost:3000/post".into());
    assert_hint(
        &c.draft_add(&[a]).await.unwrap_err(),
        41039,
        "content_source_url",
    );

    let a = article(&thumb, &"长".repeat(33));
    assert_hint(&c.draft_add(&[a]).await.unwrap_err(), 45003, "title");

    let mut a = article(&thumb, "标");
    a.author = Some("作".repeat(17));
    assert_hint(&c.draft_add(&[a]).await.unwrap_err(), 45110, "author");

    emu.configure(|c| c.comment_privilege = false);
    let mut a = article(&thumb, "标");
    a.need_open_comment = Some(1);
    assert_hint(
        &c.draft_add(&[a]).await.unwrap_err(),
        88000,
        "need_open_comment",
    );

    let mut a = article(&thumb, "标");
    a.product_info = Some(ProductInfo {
        footer_product_info: FooterProductInfo {
            product_key: "k".into(),
        },
    });
    assert_hint(
        &c.draft_add(std::slice::from_ref(&a)).await.unwrap_err(),
        53406,
        "带货",
    );
    emu.configure(|c| c.commerce = Commerce::Restricted);
    assert_hint(
        &c.draft_add(std::slice::from_ref(&a)).await.unwrap_err(),
        53404,
        "product_key",
    );

    let pic = c.add_image_material(png(), "p.png").await.unwrap().media_id;
    let a = Article {
        article_type: Some(ArticleType::Newspic),
        title: "图".into(),
        content: "字".repeat(1001),
        image_info: Some(ImageInfo {
            image_list: vec![ImageItem {
                image_media_id: pic,
            }],
        }),
        ..Article::default()
    };
    assert_hint(&c.draft_add(&[a]).await.unwrap_err(), 45166, "newspic");

    let a = article(&MediaId::new("no-such-material"), "标");
    assert_hint(
        &c.draft_add(&[a]).await.unwrap_err(),
        40007,
        "thumb_media_id",
    );

    let many: Vec<_> = (0..9).map(|i| article(&thumb, &format!("{i}"))).collect();
    assert_hint(&c.draft_add(&many).await.unwrap_err(), 45008, "8");

    let id = c.draft_add(&[article(&thumb, "标")]).await.unwrap();
    assert_hint(
        &c.draft_update(&id, 3, &article(&thumb, "标"))
            .await
            .unwrap_err(),
        40114,
        "adopt",
    );
}

#[tokio::test]
async fn account_and_quota_errors_surface_with_their_hints() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let thumb = cover(&c).await;
    for (code, needle) in [
        (48001, "unverified"),
        (45009, "tomorrow"),
        (53405, "product_key"),
        (40125, "WECHAT_APPSECRET"),
    ] {
        emu.inject(Fault::errcode("draft/add", code));
        let err = c.draft_add(&[article(&thumb, "标")]).await.unwrap_err();
        assert_hint(&err, code, needle);
    }
    // Wrong credentials on the token endpoint itself.
    let mut o = options(&emu);
    o.secret = Some(Secret::new("a-wrong-secret-value"));
    o.appid = "wx-not-this-account".into();
    let err = Client::new(o).unwrap().draft_count().await.unwrap_err();
    assert_hint(&err, 40013, "WECHAT_APPID");
}

#[tokio::test]
async fn uploads_carry_a_filename_and_content_type() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let img = c.upload_image(png(), "images/diagram").await.unwrap();
    assert!(img.url.starts_with("http://mmbiz.qpic.cn/"), "{}", img.url);
    let m = c.add_image_material(jpeg(), "cover.JPG").await.unwrap();
    assert!(m.url.is_some());

    let up = &emu.calls("media/uploadimg")[0];
    assert_eq!(up.parts.len(), 1);
    assert_eq!(up.parts[0].name, "media");
    assert_eq!(up.parts[0].filename.as_deref(), Some("diagram.png"));
    assert_eq!(up.parts[0].content_type.as_deref(), Some("image/png"));
    let mat = &emu.calls("material/add_material")[0];
    assert!(mat.query.contains("type=image"), "{}", mat.query);
    assert_eq!(mat.parts[0].filename.as_deref(), Some("cover.JPG"));
    assert_eq!(mat.parts[0].content_type.as_deref(), Some("image/jpeg"));

    // What the emulator (like WeChat) refuses.
    let err = c.upload_image(vec![0u8; 10], "x.gif").await.unwrap_err();
    assert_hint(&err, 40005, "JPEG");
    let mut big = png();
    big.resize(1_048_577, 0);
    let err = c.upload_image(big, "big.png").await.unwrap_err();
    assert_hint(&err, 40009, "1 MB");
}

#[tokio::test]
async fn request_bodies_are_raw_utf8() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let thumb = cover(&c).await;
    let mut a = article(&thumb, "中文标题：测试");
    a.digest = Some("摘要".into());
    let id = c.draft_add(&[a.clone()]).await.unwrap();
    a.title = "更新后的标题".into();
    c.draft_update(&id, 0, &a).await.unwrap();

    for name in ["draft/add", "draft/update"] {
        let body = &emu.calls(name)[0].body;
        assert!(!body.contains("\\u"), "{name} escaped: {body}");
        assert!(body.contains("作者"), "{name}: {body}");
    }
    assert!(emu.calls("draft/add")[0].body.contains("中文标题：测试"));
    let stored = emu.draft(id.as_str()).unwrap();
    assert_eq!(stored.articles[0]["title"], "更新后的标题");
}

#[tokio::test]
async fn a_draft_round_trips_through_the_box() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let thumb = cover(&c).await;
    let mut a = article(&thumb, "标题");
    a.content = "<p>正文<script>x()</script></p><img src=\"http://mmbiz.qpic.cn/a/0\"><img src=\"https://example.com/x.png\">".into();
    let id = c.draft_add(&[a]).await.unwrap();

    let d = c.draft_get(&id).await.unwrap();
    let item = &d.news_item[0];
    assert_eq!(item.article.title, "标题");
    assert!(
        item.article
            .content
            .contains("data-src=\"http://mmbiz.qpic.cn/a/0\"")
    );
    assert!(!item.article.content.contains("script"));
    assert!(!item.article.content.contains("example.com"));
    assert_eq!(item.article.digest.as_deref(), Some("正文"));
    assert!(
        item.url
            .as_deref()
            .is_some_and(|u| u.contains("mp.weixin.qq.com"))
    );
    assert_eq!(emu.warnings().len(), 1);

    let page = c.draft_batchget(0, 20, true).await.unwrap();
    assert_eq!(page.total_count, 1);
    assert_eq!(page.item[0].media_id, id);
    assert!(page.item[0].content.news_item[0].article.content.is_empty());

    c.draft_delete(&id).await.unwrap();
    c.draft_delete(&id).await.unwrap();
    assert_eq!(c.draft_count().await.unwrap(), 0);
    let err = c.draft_get(&id).await.unwrap_err();
    assert_eq!(err.errcode(), Some(ErrCode::InvalidMediaId));
    assert_eq!(c.draft_batchget(0, 20, false).await.unwrap().item.len(), 0);
}

fn assert_clean(err: &Error, secrets: &[&str]) {
    let texts = [err.to_string(), format!("{err:?}"), format!("{err:#?}")];
    for text in &texts {
        for s in secrets {
            assert!(!text.contains(s), "secret leaked in: {text}");
        }
    }
}

#[tokio::test]
async fn no_secret_reaches_error_text() {
    let emu = Emulator::start().unwrap();
    let secret = emu.secret();

    // A transport failure after a token was minted: reqwest's message holds the URL.
    let c = client(&emu);
    let token = c.access_token().await.unwrap();
    let token = token.expose().to_string();
    emu.inject(Fault::drop_before("draft/count").times(10));
    let err = c.draft_count().await.unwrap_err();
    emu.clear_faults();
    assert!(matches!(
        err.kind(),
        wxsync::wechat::ErrorKind::Transport { .. }
    ));
    assert_clean(&err, &[&secret, &token]);

    // Classic mode puts the secret in the URL; make that request fail at the transport.
    let mut o = options(&emu);
    o.token_mode = TokenMode::Classic;
    o.retry.max_retries = 0;
    o.base_url = {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        url
    };
    let err = Client::new(o).unwrap().draft_count().await.unwrap_err();
    assert!(matches!(
        err.kind(),
        wxsync::wechat::ErrorKind::Transport { connect: true, .. }
    ));
    assert_clean(&err, &[&secret]);

    // An API error on a call that carried the token.
    emu.inject(
        Fault::errcode("draft/count", 45009)
            .with_errmsg(&format!("quota for access_token={token} secret={secret}")),
    );
    let err = c.draft_count().await.unwrap_err();
    assert_clean(&err, &[&secret, &token]);
    assert!(err.to_string().contains("access_token=***"));

    // Debug of the options and the client.
    let o = options(&emu);
    assert!(!format!("{o:?}").contains(&secret));
    assert!(!format!("{c:?}").contains(&token));
}

/// Waits until the emulator has recorded how much of the last answer to `path` it sent (the
/// connection must close first, which the client's tasks do on this runtime: hence async).
async fn answer_bytes(emu: &Emulator, path: &str) -> u64 {
    let started = std::time::Instant::now();
    loop {
        if let Some(n) = emu.calls(path).last().and_then(|c| c.answer_bytes) {
            return n;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the answer to {path} never ended"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Issue item 3: a 200 that cannot be read as a complete answer may still mean WeChat made
/// the draft or the material. Each is reported outcome-unknown, never retried, with a hint
/// that names how the next run finds what was made.
#[tokio::test]
async fn creating_calls_with_an_unreadable_answer_are_outcome_unknown() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let thumb = cover(&c).await;
    let faults = |path: &str| {
        vec![
            Fault::malformed(path),
            Fault::without_field(path, "media_id"),
            Fault::oversized(path, 4 << 20),
            Fault::oversized(path, 4 << 20).declare_length(),
            Fault::drop_after(path),
        ]
    };
    for (i, fault) in faults("draft/add").into_iter().enumerate() {
        emu.inject(fault.clone());
        let err = c.draft_add(&[article(&thumb, "标题")]).await.unwrap_err();
        assert!(err.is_outcome_unknown(), "{fault:?}: {err}");
        assert!(err.is_ambiguous(), "{fault:?}");
        assert_eq!(emu.calls("draft/add").len(), i + 1, "{fault:?}: sent once");
        assert_eq!(emu.drafts().len(), i + 1, "{fault:?}: the draft was made");
        let hint = err.hint().unwrap();
        assert!(hint.contains("draft box"), "{fault:?}: {hint}");
    }
    let before = emu.materials().len();
    for (i, fault) in faults("material/add_material").into_iter().enumerate() {
        emu.inject(fault.clone());
        let err = c.add_image_material(jpeg(), "c.jpg").await.unwrap_err();
        assert!(err.is_outcome_unknown(), "{fault:?}: {err}");
        assert_eq!(emu.materials().len(), before + i + 1, "{fault:?}");
        let hint = err.hint().unwrap();
        assert!(
            hint.contains("material/batchget_material") && !hint.contains("draft box"),
            "{fault:?}: {hint}"
        );
    }
    // A read with an unreadable answer is a plain failure: nothing to reconcile.
    emu.inject(Fault::malformed("draft/get"));
    let any = MediaId::new(emu.drafts()[0].media_id.clone());
    let err = c.draft_get(&any).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Decode { .. }), "{err}");
    assert!(!err.is_outcome_unknown(), "{err}");
    emu.clear_faults();
}

/// Issue item 16: an answer over the cap is an error as soon as the cap is passed; it is
/// never read whole (the emulator sent far less than the 256 MiB it had to offer).
#[tokio::test]
async fn an_answer_over_the_cap_is_refused_without_being_read_whole() {
    let emu = Emulator::start().unwrap();
    let mut o = options(&emu);
    o.retry.max_retries = 0;
    let c = Client::new(o).unwrap();
    c.draft_count().await.unwrap();
    let offered = 256u64 << 20;

    for fault in [
        Fault::oversized("draft/count", offered),
        Fault::oversized("draft/count", offered).declare_length(),
    ] {
        emu.clear_log();
        emu.inject(fault.clone());
        let started = std::time::Instant::now();
        let err = c.draft_count().await.unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::TooLarge { .. }),
            "{fault:?}: {err}"
        );
        assert!(!err.is_outcome_unknown(), "a read is not a creating call");
        let sent = answer_bytes(&emu, "draft/count").await;
        eprintln!("{fault:?}: {sent} bytes sent before the client stopped");
        assert!(
            sent < 64 << 20,
            "{fault:?}: the client read on ({sent} bytes sent) in {:?}",
            started.elapsed()
        );
    }

    // A content-bearing answer has room to spare, but not without end.
    emu.inject(Fault::oversized("draft/batchget", offered));
    let err = c.draft_batchget(0, 20, false).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::TooLarge { limit } if *limit == CONTENT_REPLY_MAX));
    assert!(answer_bytes(&emu, "draft/batchget").await < offered / 2);

    // The cap is on bytes of the answer, not on how it is sent: a padded answer under it is
    // read as usual.
    emu.inject(Fault::oversized("draft/count", 100 << 10));
    assert_eq!(c.draft_count().await.unwrap(), 0);
}

/// The cap for answers with content, measured: a page of 20 drafts, each one article at
/// WeChat's limits (just under 1 MB of HTML and 20,000 characters of text), is read, with
/// the cap at least three times its size. A page without content stays far under the small
/// cap even with 8 articles per draft.
#[tokio::test]
async fn the_caps_leave_room_for_the_largest_pages() {
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let thumb = cover(&c).await;
    // Inline styles make the HTML much longer than its text: one styled span per character
    // reaches the 1 MB limit under the 20,000-character one (a tag counts as a space).
    let span = format!(
        "<span style=\"color:#d73a49;font-weight:bold;font-family:Menlo,Consolas,monospace;\
         font-size:14px;line-height:1.75;letter-spacing:0.5px;background:#f6f8fa;\
         padding:2px 4px;border-radius:3px;margin:0 2px;text-align:left;word-break:break-all;\
         white-space:pre-wrap;{}\">字</span>",
        " ".repeat(16)
    );
    let mut content = String::from("<pre>");
    while content.len() + span.len() + 6 < 999_000 {
        content.push_str(&span);
    }
    content.push_str("</pre>");
    for i in 0..20 {
        let mut a = article(&thumb, &format!("长文 {i}"));
        a.content = content.clone();
        c.draft_add(&[a]).await.expect("a draft at the limits");
    }
    let page = c.draft_batchget(0, 20, false).await.expect("the page fits");
    assert_eq!(page.item.len(), 20);
    let size = answer_bytes(&emu, "draft/batchget").await;
    eprintln!("20 drafts at the content limit: {size} bytes");
    assert!(size > 19_000_000, "the drafts are not at the limit: {size}");
    assert!(
        size * 3 <= CONTENT_REPLY_MAX,
        "{size} bytes: under 3x margin"
    );

    // Without content: 20 drafts of 8 articles.
    let emu = Emulator::start().unwrap();
    let c = client(&emu);
    let thumb = cover(&c).await;
    for i in 0..20 {
        let articles: Vec<Article> = (0..8)
            .map(|k| {
                let mut a = article(&thumb, &format!("第 {i} 期第 {k} 篇：一个足够长的标题"));
                a.content_source_url =
                    Some(format!("https://example.com/{}/{i}/{k}", "x".repeat(200)));
                a
            })
            .collect();
        c.draft_add(&articles).await.unwrap();
    }
    let page = c.draft_batchget(0, 20, true).await.unwrap();
    assert_eq!(page.item.len(), 20);
    let size = answer_bytes(&emu, "draft/batchget").await;
    eprintln!("20 drafts of 8 articles without content: {size} bytes");
    assert!(size * 4 <= REPLY_MAX, "{size} bytes");
}

/// Issue item 17: an answer that trickles in (every byte well within the read timeout) is
/// cut at the overall deadline, not after bytes × interval; for a creating call that is an
/// unknown outcome. An answer that is merely slow but inside the deadline is read.
#[tokio::test]
async fn a_trickling_answer_ends_at_the_deadline() {
    let emu = Emulator::start().unwrap();
    let mut o = options(&emu);
    o.retry.max_retries = 0;
    o.read_timeout = Duration::from_secs(10);
    o.deadline = Duration::from_secs(1);
    let c = Client::new(o).unwrap();
    let thumb = cover(&c).await;

    // `{"total_count":0}` is 17 bytes: 5 s at 300 ms a byte.
    emu.inject(Fault::trickle("draft/count", 300));
    let started = std::time::Instant::now();
    let err = c.draft_count().await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err.kind(), ErrorKind::Timeout), "{err}");
    assert!(took < Duration::from_secs(3), "ended after {took:?}");

    emu.inject(Fault::trickle("draft/add", 300));
    let started = std::time::Instant::now();
    let err = c.draft_add(&[article(&thumb, "慢")]).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(err.is_outcome_unknown(), "{err}");
    assert_eq!(emu.calls("draft/add").len(), 1);
    assert_eq!(emu.drafts().len(), 1, "the draft was made");

    // 17 bytes at 20 ms: slow, but done well inside the deadline.
    emu.inject(Fault::trickle("draft/count", 20));
    assert_eq!(c.draft_count().await.unwrap(), 1);

    // The default deadline is far above any read timeout, below the reconcile window.
    let d = ClientOptions::new("http://127.0.0.1:9", "wx1").deadline;
    assert_eq!(d, DEFAULT_DEADLINE);
    assert!(d > ClientOptions::new("http://127.0.0.1:9", "wx1").read_timeout);
    assert!(d < Duration::from_secs(900));
}
