//! The emulator over plain HTTP (a tiny client on std's TcpStream, so these tests depend on
//! nothing but the emulator): token pools and rotation, method and parameter checks, uploads,
//! draft validation, the admin routes and the `wxemu` binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

use serde_json::{Value, json};
use wxemu::{Emulator, Fault};

struct Resp {
    status: u16,
    content_type: String,
    json: Value,
}

fn http(emu_addr: &str, method: &str, target: &str, ctype: Option<&str>, body: &[u8]) -> Resp {
    let mut s = TcpStream::connect(emu_addr).expect("connect");
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {emu_addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(ct) = ctype {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).expect("UTF-8 answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete answer");
    let status = head[9..12].parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_string)
        })
        .unwrap_or_default();
    let json = serde_json::from_str(body).unwrap_or(Value::Null);
    Resp {
        status,
        content_type,
        json,
    }
}

struct Api {
    emu: Emulator,
    addr: String,
}

impl Api {
    fn new() -> Api {
        let emu = Emulator::start().unwrap();
        let addr = emu.addr().to_string();
        Api { emu, addr }
    }

    fn post(&self, target: &str, body: &Value) -> Value {
        let body = serde_json::to_vec(body).unwrap();
        http(&self.addr, "POST", target, Some("application/json"), &body).json
    }

    fn post_raw(&self, target: &str, body: &str) -> Value {
        http(
            &self.addr,
            "POST",
            target,
            Some("application/json"),
            body.as_bytes(),
        )
        .json
    }

    fn get(&self, target: &str) -> Value {
        http(&self.addr, "GET", target, None, b"").json
    }

    fn stable(&self, force: bool) -> Value {
        self.post(
            "/cgi-bin/stable_token",
            &json!({"grant_type":"client_credential","appid":self.emu.appid(),
                    "secret":self.emu.secret(),"force_refresh":force}),
        )
    }

    fn token(&self) -> String {
        self.stable(false)["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn count_with(&self, token: &str) -> Value {
        self.get(&format!("/cgi-bin/draft/count?access_token={token}"))
    }

    fn upload(&self, target: &str, filename: Option<&str>, data: &[u8]) -> Value {
        let mut body = Vec::new();
        body.extend_from_slice(b"--XBOUNDARY\r\nContent-Disposition: form-data; name=\"media\"");
        if let Some(f) = filename {
            body.extend_from_slice(format!("; filename=\"{f}\"").as_bytes());
        }
        body.extend_from_slice(b"\r\nContent-Type: application/octet-stream\r\n\r\n");
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n--XBOUNDARY--\r\n");
        let ct = "multipart/form-data; boundary=XBOUNDARY";
        http(&self.addr, "POST", target, Some(ct), &body).json
    }

    fn cover(&self, token: &str) -> String {
        let r = self.upload(
            &format!("/cgi-bin/material/add_material?type=image&access_token={token}"),
            Some("c.jpg"),
            &jpeg(),
        );
        r["media_id"].as_str().expect("media_id").to_string()
    }
}

fn code(v: &Value) -> i64 {
    v["errcode"].as_i64().unwrap_or(0)
}

fn jpeg() -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0];
    b.extend_from_slice(&[1u8; 32]);
    b
}

fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.extend_from_slice(&[1u8; 32]);
    b
}

#[test]
fn answers_are_utf8_json_with_wechat_content_type_and_rid() {
    let api = Api::new();
    let r = http(
        &api.addr,
        "GET",
        "/cgi-bin/draft/count?access_token=nope",
        None,
        b"",
    );
    assert_eq!(r.status, 200, "API errors are HTTP 200");
    assert_eq!(r.content_type, "application/json; encoding=utf-8");
    assert_eq!(code(&r.json), 40001);
    assert!(r.json["errmsg"].as_str().unwrap().contains(" rid: "));
}

#[test]
fn stable_token_normal_mode_reuses_then_rotates_near_expiry() {
    let api = Api::new();
    let a = api.stable(false);
    assert_eq!(a["expires_in"], 7200);
    assert!(a["access_token"].as_str().unwrap().len() >= 100);
    api.emu.advance_clock(1000);
    let b = api.stable(false);
    assert_eq!(b["access_token"], a["access_token"]);
    assert_eq!(b["expires_in"], 6200);
    // Inside the last 5 minutes a new token is issued; the old one lives to its expiry.
    api.emu.advance_clock(6000);
    let c = api.stable(false);
    assert_ne!(c["access_token"], a["access_token"]);
    let old = a["access_token"].as_str().unwrap();
    assert_eq!(code(&api.count_with(old)), 0);
    api.emu.advance_clock(200);
    assert_eq!(code(&api.count_with(old)), 42001);
    assert_eq!(
        code(&api.count_with(c["access_token"].as_str().unwrap())),
        0
    );
}

#[test]
fn stable_token_force_refresh_grace_and_30s_rule() {
    let api = Api::new();
    let t1 = api.token();
    let t2 = api.stable(true)["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(t1, t2);
    assert_eq!(
        code(&api.count_with(&t1)),
        0,
        "grace period for the previous token"
    );
    // Within 30 s a forced refresh returns the current token.
    assert_eq!(api.stable(true)["access_token"], t2.as_str());
    api.emu.advance_clock(31);
    let t3 = api.stable(true)["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(t3, t2);
    assert_eq!(
        code(&api.count_with(&t1)),
        40001,
        "two forced refreshes kill a leaked token"
    );
    assert_eq!(code(&api.count_with(&t2)), 0);
}

#[test]
fn classic_token_supersedes_the_previous_after_the_overlap() {
    let api = Api::new();
    let url = format!(
        "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        api.emu.appid(),
        api.emu.secret()
    );
    let t1 = api.get(&url)["access_token"].as_str().unwrap().to_string();
    let stable = api.token();
    let t2 = api.get(&url)["access_token"].as_str().unwrap().to_string();
    assert_ne!(t1, t2);
    assert_eq!(code(&api.count_with(&t1)), 0);
    api.emu.advance_clock(301);
    assert_eq!(code(&api.count_with(&t1)), 40001);
    assert_eq!(code(&api.count_with(&t2)), 0);
    assert_eq!(
        code(&api.count_with(&stable)),
        0,
        "the pools are independent"
    );
}

#[test]
fn credential_method_and_parameter_checks() {
    let api = Api::new();
    let (appid, secret) = (api.emu.appid(), api.emu.secret());
    let t = |a: &str, s: &str| {
        code(&api.get(&format!(
            "/cgi-bin/token?grant_type=client_credential&appid={a}&secret={s}"
        )))
    };
    assert_eq!(t("", &secret), 41002);
    assert_eq!(t(&appid, ""), 41004);
    assert_eq!(t("wxother", &secret), 40013);
    assert_eq!(t(&appid, "wrong"), 40125);
    assert_eq!(code(&api.get("/cgi-bin/token?appid=x&secret=y")), 40002);
    assert_eq!(code(&api.get("/cgi-bin/stable_token")), 43002);
    let token = api.token();
    assert_eq!(
        code(&api.post(
            &format!("/cgi-bin/draft/count?access_token={token}"),
            &json!({})
        )),
        43001
    );
    assert_eq!(code(&api.post("/cgi-bin/draft/get", &json!({}))), 41001);
    let get = format!("/cgi-bin/draft/get?access_token={token}");
    assert_eq!(code(&api.post_raw(&get, "")), 44002);
    assert_eq!(code(&api.post_raw(&get, "{not json")), 47001);
    api.emu.configure(|c| {
        c.allowed_ips = Some(vec!["10.0.0.1".into()]);
    });
    let r = api.stable(false);
    assert_eq!(code(&r), 40164);
    assert!(
        r["errmsg"]
            .as_str()
            .unwrap()
            .contains("invalid ip 127.0.0.1 ipv6")
    );
}

#[test]
fn uploads_are_checked_like_wechat() {
    let api = Api::new();
    let token = api.token();
    let img = format!("/cgi-bin/media/uploadimg?access_token={token}");
    assert_eq!(code(&api.upload(&img, None, &png())), 41005, "no filename");
    assert_eq!(code(&api.upload(&img, Some("a.gif"), b"GIF89a...")), 40005);
    assert_eq!(
        code(&api.upload(&img, Some("a.png"), &jpeg())),
        40005,
        "content sniffed"
    );
    let mut big = png();
    big.resize(1_048_577, 0);
    assert_eq!(code(&api.upload(&img, Some("a.png"), &big)), 40009);
    let ok = api.upload(&img, Some("a.png"), &png());
    assert_eq!(code(&ok), 0);
    assert!(
        ok["url"]
            .as_str()
            .unwrap()
            .starts_with("http://mmbiz.qpic.cn/sz_mmbiz_png/")
    );

    let mat = |q: &str| format!("/cgi-bin/material/add_material?{q}access_token={token}");
    assert_eq!(code(&api.upload(&mat(""), Some("a.jpg"), &jpeg())), 40004);
    assert_eq!(
        code(&api.upload(&mat("type=image&"), Some("noext"), &jpeg())),
        40005
    );
    assert_eq!(
        code(&api.upload(&mat("type=image&"), Some("a.webp"), &jpeg())),
        40113
    );
    let mut huge = jpeg();
    huge.resize(10 * 1024 * 1024 + 1, 0);
    assert_eq!(
        code(&api.upload(&mat("type=image&"), Some("a.jpg"), &huge)),
        45001
    );
    let mut thumb = jpeg();
    thumb.resize(64 * 1024 + 1, 0);
    assert_eq!(
        code(&api.upload(&mat("type=thumb&"), Some("t.jpg"), &thumb)),
        40012
    );
    let ok = api.upload(&mat("type=image&"), Some("a.jpg"), &jpeg());
    assert_eq!(ok["media_id"].as_str().unwrap().len(), 43);
    assert!(
        ok.get("errcode").is_none(),
        "add_material success has no errcode"
    );
}

#[test]
fn drafts_are_validated_and_stored() {
    let api = Api::new();
    let token = api.token();
    let thumb = api.cover(&token);
    let add = format!("/cgi-bin/draft/add?access_token={token}");
    let update = format!("/cgi-bin/draft/update?access_token={token}");
    let art = |title: &str| json!({"title": title, "content": "<p>x</p>", "thumb_media_id": thumb});

    assert_eq!(code(&api.post(&add, &json!({}))), 44003);
    assert_eq!(code(&api.post(&add, &json!({"articles": []}))), 44003);
    assert_eq!(
        code(&api.post(&add, &json!({"articles": [{"content": "x"}]}))),
        44003
    );
    let nine: Vec<_> = (0..9).map(|i| art(&i.to_string())).collect();
    assert_eq!(code(&api.post(&add, &json!({"articles": nine}))), 45008);
    let mut no_thumb = art("t");
    no_thumb["thumb_media_id"] = json!("unknown");
    assert_eq!(
        code(&api.post(&add, &json!({"articles": [no_thumb]}))),
        40007
    );
    let mut bad_url = art("t");
    bad_url["content_source_url"] = json!("");
    assert_eq!(
        code(&api.post(&add, &json!({"articles": [bad_url]}))),
        41039
    );
    let mut digest = art("t");
    digest["digest"] = json!("字".repeat(129));
    assert_eq!(code(&api.post(&add, &json!({"articles": [digest]}))), 45004);
    let mut long = art("t");
    long["content"] = json!(format!("<p>{}</p>", "字".repeat(20_000)));
    assert_eq!(code(&api.post(&add, &json!({"articles": [long]}))), 45002);
    // Six characters fit in 32, but escaped they are 36 characters of literal text.
    let escaped = format!(
        r#"{{"articles":[{{"title":"{}","content":"x","thumb_media_id":"{thumb}"}}]}}"#,
        "\\u4f5c".repeat(6)
    );
    assert_eq!(code(&api.post_raw(&add, &escaped)), 45003);

    let two = api.post(&add, &json!({"articles": [art("一"), art("二")]}));
    let id = two["media_id"].as_str().unwrap().to_string();
    assert_eq!(two["item"], json!([]));
    let stored = api.emu.draft(&id).unwrap();
    assert_eq!(
        stored.articles[0]["digest"], "",
        "multi-article drafts have no digest"
    );

    let upd = |body: Value| code(&api.post(&update, &body));
    assert_eq!(
        upd(json!({"media_id": "nope", "index": 0, "articles": art("t")})),
        40007
    );
    assert_eq!(
        upd(json!({"media_id": id, "index": 2, "articles": art("t")})),
        40114
    );
    assert_eq!(
        upd(json!({"media_id": id, "index": 0, "articles": {"title": "only"}})),
        40007
    );
    assert_eq!(
        upd(json!({"media_id": id, "index": 1, "articles": art("改")})),
        0
    );
    assert_eq!(api.emu.draft(&id).unwrap().articles[1]["title"], "改");

    let batch = format!("/cgi-bin/draft/batchget?access_token={token}");
    assert_eq!(
        code(&api.post(&batch, &json!({"offset": 0, "count": 0}))),
        40002
    );
    let one = api.post(&add, &json!({"articles": [art("新")]}));
    let page = api.post(
        &batch,
        &json!({"offset": 0, "count": 20, "no_content": true}),
    );
    assert_eq!(page["total_count"], 2);
    // The draft updated last comes first... which is the single one just added.
    assert_eq!(page["item"][0]["media_id"], one["media_id"]);
    assert!(
        page["item"][0]["content"]["news_item"][0]
            .get("content")
            .is_none()
    );
    let get = api.post(
        &format!("/cgi-bin/draft/get?access_token={token}"),
        &json!({"media_id": one["media_id"]}),
    );
    assert_eq!(get["news_item"][0]["digest"], "x");
}

#[test]
fn admin_routes_drive_faults_clock_config_and_log() {
    let api = Api::new();
    let token = api.token();
    let r = api.post(
        "/__emu/faults",
        &json!({"path": "draft/count", "errcode": 45011, "times": 2}),
    );
    assert_eq!(r[0]["path"], "/cgi-bin/draft/count");
    assert_eq!(code(&api.count_with(&token)), 45011);
    assert_eq!(code(&api.count_with(&token)), 45011);
    assert_eq!(code(&api.count_with(&token)), 0);
    api.emu.inject(Fault::errcode("draft/count", -1));
    assert_eq!(api.get("/__emu/faults").as_array().unwrap().len(), 1);
    http(&api.addr, "DELETE", "/__emu/faults", None, b"");
    assert_eq!(code(&api.count_with(&token)), 0);

    let before = api.get("/__emu/clock")["now"].as_i64().unwrap();
    let after = api.post("/__emu/clock", &json!({"advance": 7200}))["now"]
        .as_i64()
        .unwrap();
    assert!(after - before >= 7200);
    assert_eq!(code(&api.count_with(&token)), 42001);

    let cfg = api.post("/__emu/config", &json!({"comment_privilege": false}));
    assert_eq!(cfg["comment_privilege"], false);
    assert!(!api.emu.config().comment_privilege);

    let log = api.get("/__emu/log");
    let codes: Vec<_> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["path"] == "/cgi-bin/draft/count")
        .map(|e| e["errcode"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, vec![45011, 45011, 0, 0, 42001]);
    assert!(
        api.get("/__emu/drafts")["drafts"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    http(&api.addr, "POST", "/__emu/reset", None, b"");
    assert!(api.emu.log().is_empty());
}

#[test]
fn the_binary_serves_until_stopped() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wxemu"))
        .args([
            "--port",
            "0",
            "--appid",
            "wxbin",
            "--secret",
            "bin-secret-1234",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    // Kept open until the end: the binary prints more lines and must not hit a closed pipe.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut first).unwrap();
    let base = first.trim().rsplit(' ').next().unwrap().to_string();
    let addr = base.trim_start_matches("http://").to_string();
    let r = http(
        &addr,
        "POST",
        "/cgi-bin/stable_token",
        Some("application/json"),
        br#"{"grant_type":"client_credential","appid":"wxbin","secret":"bin-secret-1234"}"#,
    );
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdout);
    assert!(r.json["access_token"].is_string(), "{:?}", r.json);
}

/// One exchange, raw: the head and the body bytes as sent (a chunked body is de-chunked).
fn raw(
    addr: &str,
    method: &str,
    target: &str,
    ctype: Option<&str>,
    body: &[u8],
) -> (String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).expect("connect");
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(ct) = ctype {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let split = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let head = String::from_utf8_lossy(&all[..split]).to_ascii_lowercase();
    let mut rest = all[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            let eol = at + rest[at..].windows(2).position(|w| w == b"\r\n").unwrap();
            let len =
                usize::from_str_radix(std::str::from_utf8(&rest[at..eol]).unwrap(), 16).unwrap();
            if len == 0 {
                break;
            }
            out.extend_from_slice(&rest[eol + 2..eol + 2 + len]);
            at = eol + 2 + len + 2;
        }
        rest = out;
    }
    (head, rest)
}

#[test]
fn answer_faults_garble_the_answer_of_a_processed_call() {
    let api = Api::new();
    let token = api.token();
    let thumb = api.cover(&token);
    let add = format!("/cgi-bin/draft/add?access_token={token}");
    let draft = serde_json::to_vec(&json!({"articles": [{
        "title": "T", "content": "<p>x</p>", "thumb_media_id": thumb
    }]}))
    .unwrap();
    let post = |target: &str| raw(&api.addr, "POST", target, Some("application/json"), &draft);

    // Malformed: half of the JSON, HTTP 200, and the draft was made.
    api.emu.inject(Fault::malformed("draft/add"));
    let (head, body) = post(&add);
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(serde_json::from_slice::<Value>(&body).is_err(), "{body:?}");
    assert!(String::from_utf8_lossy(&body).starts_with('{'), "{body:?}");
    assert_eq!(api.emu.drafts().len(), 1);

    // Without media_id: a complete JSON object lacking it; the draft was made.
    api.emu
        .inject(Fault::without_field("draft/add", "media_id"));
    let (_, body) = post(&add);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(v.get("media_id").is_none() && v.is_object(), "{v}");
    assert_eq!(api.emu.drafts().len(), 2);

    // Oversized: padding then the answer, chunked or declared, generated as sent.
    for fault in [
        Fault::oversized("draft/add", 3 << 20),
        Fault::oversized("draft/add", 3 << 20).declare_length(),
    ] {
        api.emu.inject(fault.clone());
        let (head, body) = post(&add);
        assert_eq!(
            head.contains(&format!("content-length: {}", body.len())),
            fault.declare_length,
            "{head}"
        );
        assert!(body.len() > 3 << 20);
        let v: Value = serde_json::from_slice(&body).expect("whitespace, then the answer");
        assert!(v["media_id"].is_string());
        let logged = api.emu.calls("draft/add").last().unwrap().answer_bytes;
        assert_eq!(logged, Some(body.len() as u64));
    }
    assert_eq!(api.emu.drafts().len(), 4);

    // Trickle: the answer, one byte per interval.
    let count = format!("/cgi-bin/draft/count?access_token={token}");
    api.emu.inject(Fault::trickle("draft/count", 40));
    let started = std::time::Instant::now();
    let (_, body) = raw(&api.addr, "GET", &count, None, b"");
    let took = started.elapsed();
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["total_count"],
        4
    );
    assert!(
        took >= std::time::Duration::from_millis(40 * body.len() as u64),
        "{} bytes in {took:?}",
        body.len()
    );

    // A lost add_material answer: the material is stored all the same.
    api.emu.inject(Fault::drop_after("material/add_material"));
    let before = api.emu.materials().len();
    let mut body =
        b"--XB\r\nContent-Disposition: form-data; name=\"media\"; filename=\"c.jpg\"\r\n\r\n"
            .to_vec();
    body.extend_from_slice(&jpeg());
    body.extend_from_slice(b"\r\n--XB--\r\n");
    let mut s = TcpStream::connect(&api.addr).unwrap();
    let head = format!(
        "POST /cgi-bin/material/add_material?type=image&access_token={token} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary=XB\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body).unwrap();
    let mut answer = Vec::new();
    // The connection ends without a complete answer (reset or cut): either is fine here.
    let _ = s.read_to_end(&mut answer);
    assert!(!String::from_utf8_lossy(&answer).contains("media_id"));
    assert_eq!(api.emu.materials().len(), before + 1);
}

#[test]
fn material_listing_and_count() {
    let api = Api::new();
    let token = api.token();
    let list = |offset: u64, count: u64| {
        api.post(
            &format!("/cgi-bin/material/batchget_material?access_token={token}"),
            &json!({"type": "image", "offset": offset, "count": count}),
        )
    };
    assert_eq!(
        list(0, 20),
        json!({"total_count": 0, "item_count": 0, "item": []})
    );
    let mut ids = Vec::new();
    for name in ["a.jpg", "b.jpg", "c.jpg"] {
        let r = api.upload(
            &format!("/cgi-bin/material/add_material?type=image&access_token={token}"),
            Some(name),
            &jpeg(),
        );
        ids.push(r["media_id"].as_str().unwrap().to_string());
    }
    let page = list(0, 2);
    assert_eq!(page["total_count"], 3);
    assert_eq!(page["item_count"], 2);
    // Newest first (a knob): c, b; then a.
    assert_eq!(page["item"][0]["name"], "c.jpg");
    assert_eq!(page["item"][0]["media_id"], ids[2].as_str());
    assert!(page["item"][0]["update_time"].is_i64());
    assert!(
        page["item"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("http://mmbiz.qpic.cn/")
    );
    assert_eq!(page["item"][1]["name"], "b.jpg");
    assert_eq!(list(2, 20)["item"][0]["name"], "a.jpg");
    assert_eq!(code(&list(0, 0)), 40002);
    assert_eq!(code(&list(0, 21)), 40002);
    let bad = api.post(
        &format!("/cgi-bin/material/batchget_material?access_token={token}"),
        &json!({"type": "pdf", "offset": 0, "count": 1}),
    );
    assert_eq!(code(&bad), 40004);
    api.emu
        .configure(|c| c.material_batchget_newest_first = false);
    assert_eq!(list(0, 1)["item"][0]["name"], "a.jpg");

    let counts = api.get(&format!(
        "/cgi-bin/material/get_materialcount?access_token={token}"
    ));
    assert_eq!(counts["image_count"], 3);
    assert_eq!(counts["voice_count"], 0);
    let wrong = api.post(
        &format!("/cgi-bin/material/get_materialcount?access_token={token}"),
        &json!({}),
    );
    assert_eq!(code(&wrong), 43001);
}

#[test]
fn publishing_quota_and_editor_edits_behave_like_the_account() {
    let api = Api::new();
    let token = api.token();
    let thumb = api.cover(&token);
    let q = |path: &str| format!("/cgi-bin/{path}?access_token={token}");
    let made = api.post(
        &q("draft/add"),
        &json!({"articles": [{"title": "T", "content": "<p>x</p>", "thumb_media_id": thumb}]}),
    );
    let id = made["media_id"].as_str().unwrap().to_string();
    let before = api.emu.draft(&id).unwrap().update_time;

    // The editor's edit: rewritten HTML, a later update_time (over the admin route too).
    api.emu.advance_clock(10);
    let r = http(
        &api.addr,
        "POST",
        "/__emu/drafts/edit",
        Some("application/json"),
        json!({"media_id": id, "index": 0, "content": "<p>edited <a href=\"https://x.org\">x</a></p>"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(r.status, 200);
    let d = api.emu.draft(&id).unwrap();
    assert!(d.update_time >= before + 10);
    assert_eq!(
        d.articles[0]["content"], "<p>edited x</p>",
        "links stripped as on save"
    );
    assert!(!api.emu.edit_draft(&id, 3, "<p>y</p>"), "no such article");

    // quota/get: counted per API, limits from daily_limits.
    api.emu.configure(|c| {
        c.daily_limits.insert("draft/add".into(), 5);
    });
    let quota = api.post(
        &q("openapi/quota/get"),
        &json!({"cgi_path": "/cgi-bin/draft/add"}),
    );
    assert_eq!(
        quota["quota"],
        json!({"daily_limit": 5, "used": 1, "remain": 4})
    );
    let bad = api.post(&q("openapi/quota/get"), &json!({"cgi_path": "draft/add"}));
    assert_eq!(code(&bad), 76021);

    // Publishing: disabled → 48001; enabled → publishing, then published and out of the box.
    api.emu.configure(|c| c.publish_enabled = false);
    assert_eq!(
        code(&api.post(&q("freepublish/submit"), &json!({"media_id": id}))),
        48001
    );
    api.emu.configure(|c| c.publish_enabled = true);
    assert_eq!(
        code(&api.post(&q("freepublish/submit"), &json!({"media_id": "nope"}))),
        40007
    );
    let job = api.post(&q("freepublish/submit"), &json!({"media_id": id}));
    assert_eq!(code(&job), 0);
    let pid = job["publish_id"]
        .as_u64()
        .expect("a numeric publish_id, as live");
    let first = api.post(
        &q("freepublish/get"),
        &json!({"publish_id": pid.to_string()}),
    );
    assert_eq!(first["publish_status"], 1);
    assert!(api.emu.draft(&id).is_some());
    let done = api.post(&q("freepublish/get"), &json!({"publish_id": pid}));
    assert_eq!(done["publish_status"], 0);
    assert!(
        api.emu.draft(&id).is_none(),
        "published drafts leave the box"
    );
    let url = done["article_detail"]["item"][0]["article_url"]
        .as_str()
        .unwrap();
    assert!(url.starts_with("https://mp.weixin.qq.com/s?"), "{url}");
    let list = api.post(
        &q("freepublish/batchget"),
        &json!({"offset": 0, "count": 20, "no_content": 1}),
    );
    assert_eq!(list["total_count"], 1);
    assert_eq!(list["item"][0]["article_id"], done["article_id"]);
    assert_eq!(list["item"][0]["content"]["news_item"][0]["title"], "T");
    assert!(
        list["item"][0]["content"]["news_item"][0]
            .get("content")
            .is_none()
    );
}
