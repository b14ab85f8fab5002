//! Publishing (`freepublish/submit`, `get`, `batchget`), the quota of each API
//! (`openapi/quota/get`), and what people do in WeChat's web UI that tests need to play:
//! edit a draft in the editor, publish a draft by hand.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::html;
use crate::state::{Answer, State};

/// A published group of articles, as `freepublish/batchget` lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublishedArticle {
    pub article_id: String,
    /// The draft it was published from.
    pub media_id: String,
    /// The articles, each with its permanent `url`.
    pub articles: Vec<Value>,
    pub update_time: i64,
}

/// A publish job, polled with `freepublish/get`.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    media_id: String,
    polls_left: u32,
    /// The final status and, once published, the article id.
    outcome: i64,
    article_id: Option<String>,
}

/// The APIs `openapi/quota/get` knows (anything else is 76021).
const QUOTA_PATHS: &[&str] = &[
    "token",
    "stable_token",
    "media/uploadimg",
    "material/add_material",
    "material/batchget_material",
    "material/get_materialcount",
    "draft/add",
    "draft/update",
    "draft/get",
    "draft/batchget",
    "draft/delete",
    "draft/count",
    "freepublish/submit",
    "freepublish/get",
    "freepublish/batchget",
];

impl State {
    pub(crate) fn freepublish_submit(&mut self, body: &Value) -> Answer {
        if !self.config.publish_enabled {
            return self.error(48001);
        }
        let id = body.get("media_id").and_then(Value::as_str).unwrap_or("");
        if !self.drafts.contains_key(id) {
            return self.error(40007);
        }
        let publish_id = 2_650_000_000u64 + self.next_seq();
        let job = Job {
            media_id: id.to_string(),
            polls_left: self.config.publish_polls,
            outcome: self.config.publish_outcome,
            article_id: None,
        };
        self.jobs.insert(publish_id.to_string(), job);
        let msg_data_id = format!("{}", 2_247_000_000u64 + self.next_seq());
        // The live server sends publish_id as a number.
        json!({"errcode": 0, "errmsg": "ok", "publish_id": publish_id, "msg_data_id": msg_data_id})
    }

    pub(crate) fn freepublish_get(&mut self, body: &Value) -> Answer {
        if !self.config.publish_enabled {
            return self.error(48001);
        }
        let id = match body.get("publish_id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let Some(job) = self.jobs.get(&id).cloned() else {
            return self.error_msg(40002, "invalid argument");
        };
        if job.polls_left > 0 {
            if let Some(j) = self.jobs.get_mut(&id) {
                j.polls_left -= 1;
            }
            return json!({"publish_id": id, "publish_status": 1, "fail_idx": []});
        }
        let article_id = match (&job.article_id, job.outcome) {
            (Some(a), _) => Some(a.clone()),
            (None, 0) => {
                let a = self.publish_draft(&job.media_id);
                if let Some(j) = self.jobs.get_mut(&id) {
                    j.article_id = a.clone();
                }
                a
            }
            (None, _) => None,
        };
        let Some(article_id) = article_id else {
            let n = self
                .drafts
                .get(&job.media_id)
                .map_or(1, |d| d.articles.len());
            let fail: Vec<usize> = (1..=n).collect();
            return json!({"publish_id": id, "publish_status": job.outcome, "fail_idx": fail});
        };
        let items: Vec<Value> = self
            .published
            .get(&article_id)
            .map(|p| {
                p.articles
                    .iter()
                    .enumerate()
                    .map(|(i, a)| json!({"idx": i + 1, "article_url": a["url"]}))
                    .collect()
            })
            .unwrap_or_default();
        json!({
            "publish_id": id,
            "publish_status": 0,
            "article_id": article_id,
            "article_detail": {"count": items.len(), "item": items},
            "fail_idx": [],
        })
    }

    pub(crate) fn freepublish_batchget(&mut self, body: &Value) -> Answer {
        if !self.config.publish_enabled {
            return self.error(48001);
        }
        let offset = body.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
        let count = body.get("count").and_then(Value::as_u64).unwrap_or(0) as usize;
        if !(1..=20).contains(&count) {
            return self.error_msg(40002, "invalid argument");
        }
        let no_content = matches!(body.get("no_content"), Some(Value::Number(n)) if n.as_i64() == Some(1))
            || body.get("no_content") == Some(&Value::Bool(true));
        let mut list: Vec<&PublishedArticle> = self.published.values().collect();
        list.sort_by_key(|p| std::cmp::Reverse(p.update_time));
        let total = list.len();
        let items: Vec<Value> = list
            .into_iter()
            .skip(offset)
            .take(count)
            .map(|p| {
                let news = crate::state::news_items(&p.articles, no_content);
                json!({
                    "article_id": p.article_id,
                    "content": {"news_item": news, "create_time": p.update_time, "update_time": p.update_time},
                    "update_time": p.update_time,
                })
            })
            .collect();
        json!({"total_count": total, "item_count": items.len(), "item": items})
    }

    /// `openapi/quota/get`: `{"cgi_path": "/cgi-bin/draft/add"}`.
    pub(crate) fn quota_get(&mut self, body: &Value) -> Answer {
        let path = body.get("cgi_path").and_then(Value::as_str).unwrap_or("");
        let Some(name) = path.strip_prefix("/cgi-bin/") else {
            return self.error_msg(76021, "cgi_path not found, please check");
        };
        if !QUOTA_PATHS.contains(&name) {
            return self.error_msg(76021, "cgi_path not found, please check");
        }
        let limit = self
            .config
            .daily_limits
            .get(name)
            .copied()
            .unwrap_or(self.config.default_daily_limit);
        let used = self.used_today(name).min(limit);
        json!({
            "errcode": 0,
            "errmsg": "ok",
            "quota": {"daily_limit": limit, "used": used, "remain": limit - used},
            "rate_limit": {"call_count": 10_000, "refresh_second": 60},
        })
    }

    /// Publishes a draft as WeChat does once a job succeeds (or as a person does in the web
    /// UI): it leaves the draft box and its articles get permanent URLs. Returns the
    /// article id, or `None` when there is no such draft.
    pub fn publish_draft(&mut self, media_id: &str) -> Option<String> {
        let draft = self.drafts.remove(media_id)?;
        let mut article_id = String::from("emu-");
        article_id.push_str(&format!("{:016x}", self.next()));
        let now = self.now();
        let articles = draft
            .articles
            .into_iter()
            .enumerate()
            .map(|(i, mut a)| {
                if let Some(m) = a.as_object_mut() {
                    let url = format!(
                        "https://mp.weixin.qq.com/s?__biz=MzEmuAcct==&mid={}&idx={}&sn={}#rd",
                        &article_id[4..12],
                        i + 1,
                        &article_id[12..]
                    );
                    m.insert("url".into(), json!(url));
                    m.insert("is_deleted".into(), json!(false));
                }
                a
            })
            .collect();
        self.published.insert(
            article_id.clone(),
            PublishedArticle {
                article_id: article_id.clone(),
                media_id: media_id.to_string(),
                articles,
                update_time: now,
            },
        );
        Some(article_id)
    }

    /// Edits an article of a draft as WeChat's web editor does: the HTML is replaced (and
    /// rewritten the way the editor saves it) and the draft's `update_time` moves to now.
    /// False when there is no such draft or article.
    pub fn edit_draft(&mut self, media_id: &str, index: usize, content: &str) -> bool {
        let strip = self.config.strip_links;
        let mut warnings = Vec::new();
        let html = html::rewrite(content, strip, &mut warnings);
        let now = self.now();
        let seq = self.next_seq();
        let Some(d) = self.drafts.get_mut(media_id) else {
            return false;
        };
        let Some(a) = d.articles.get_mut(index).and_then(Value::as_object_mut) else {
            return false;
        };
        a.insert("content".into(), json!(html));
        d.update_time = now;
        d.update_seq = seq;
        self.warnings.extend(warnings);
        true
    }
}
