//! The Kapacitor doctor's rules: each code from a TICKscript that triggers it, and the
//! corrected script that does not; Chronograf's rule-builder shape; positions.

use tocsin_core::kapacitor_check::{
    check, has_errors, Code, Finding, HttpPostEndpoint, Inputs, Severity, TocsinUrls,
};

const KEY: &str = "k3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk3yk";

fn inputs() -> Inputs {
    Inputs {
        endpoints: Some(vec![HttpPostEndpoint {
            name: "tocsin".into(),
            url: format!("http://127.0.0.1:8080/v1/incidents/kapacitor/{KEY}"),
        }]),
        tocsin: Some(TocsinUrls {
            keys: [KEY.to_string()].into(),
            hosts: ["127.0.0.1:8080".to_string()].into(),
        }),
    }
}

fn codes(script: &str) -> Vec<&'static str> {
    check(script, &inputs())
        .iter()
        .map(|f| f.code.as_str())
        .collect()
}

/// A good alert node, with `{props}` spliced in before its handler.
fn task(group: &str, props: &str, handler: &str) -> String {
    format!(
        "dbrp \"telegraf\".\"autogen\"\n\nstream\n    |from()\n        .measurement('cpu')\n        {group}\n    |alert()\n        .warn(lambda: \"usage_idle\" < 20)\n        .crit(lambda: \"usage_idle\" < 10)\n{props}        {handler}\n"
    )
}

const GOOD_ID: &str = "        .id('{{ .TaskName }}:{{ .Group }}')\n";
const GROUP: &str = ".groupBy('host')";

fn post_url() -> String {
    format!(".post('http://127.0.0.1:8080/v1/incidents/kapacitor/{KEY}')")
}

#[test]
fn the_good_task_has_no_findings() {
    assert_eq!(
        codes(&task(GROUP, GOOD_ID, &post_url())),
        Vec::<&str>::new()
    );
    assert_eq!(
        codes(&task(
            GROUP,
            GOOD_ID,
            ".post()\n            .endpoint('tocsin')"
        )),
        Vec::<&str>::new()
    );
}

/// (code, the props that trigger it, the props that fix it)
fn pairs() -> Vec<(&'static str, String, String)> {
    vec![
        (
            "id-without-group",
            "        .id('{{ .TaskName }}')\n".into(),
            GOOD_ID.into(),
        ),
        (
            "id-without-group",
            "        .id('{{ .Name }}')\n".into(),
            "        .id('{{ .TaskName }}:{{ index .Tags \"host\" }}')\n".into(),
        ),
        // The default id `{{ .Name }}:{{ .Group }}` omits the task.
        ("id-without-task", String::new(), GOOD_ID.into()),
        (
            "id-without-task",
            "        .id('{{ .Name }}:{{ .Group }}')\n".into(),
            "        .id('cpu-high:{{ .Group }}')\n".into(),
        ),
        (
            "no-recoveries",
            format!("{GOOD_ID}        .noRecoveries()\n"),
            GOOD_ID.into(),
        ),
        (
            "state-changes-only-without-interval",
            format!("{GOOD_ID}        .stateChangesOnly()\n"),
            format!("{GOOD_ID}        .stateChangesOnly(5m)\n"),
        ),
        (
            "flapping-suppresses-recoveries",
            format!("{GOOD_ID}        .flapping(0.25, 0.5)\n"),
            GOOD_ID.into(),
        ),
        (
            "empty-id-template",
            "        .id('')\n".into(),
            GOOD_ID.into(),
        ),
        (
            "empty-id-template",
            "        .id('''   ''')\n".into(),
            GOOD_ID.into(),
        ),
        (
            "empty-message-template",
            format!("{GOOD_ID}        .message('')\n"),
            format!("{GOOD_ID}        .message('{{{{ .ID }}}} is {{{{ .Level }}}}')\n"),
        ),
        (
            "empty-details",
            format!("{GOOD_ID}        .details('')\n"),
            GOOD_ID.into(),
        ),
    ]
}

#[test]
fn each_code_from_a_script_and_not_from_its_correction() {
    for (code, bad, good) in pairs() {
        let found = codes(&task(GROUP, &bad, &post_url()));
        assert!(found.contains(&code), "{code}: {found:?}\n{bad}");
        let fixed = codes(&task(GROUP, &good, &post_url()));
        assert!(
            !fixed.contains(&code),
            "{code} after the fix: {fixed:?}\n{good}"
        );
        assert_eq!(fixed, Vec::<&str>::new(), "{good}");
    }
}

#[test]
fn endpoints_and_urls() {
    let unknown = task(
        GROUP,
        GOOD_ID,
        ".post()\n            .endpoint('squadcast')",
    );
    assert_eq!(codes(&unknown), vec!["unknown-endpoint"]);
    assert_eq!(
        codes(&task(GROUP, GOOD_ID, ".post()")),
        vec!["unknown-endpoint"]
    );
    // A rotated key: Tocsin's shape, not a current key.
    let rotated = task(
        GROUP,
        GOOD_ID,
        ".post('http://127.0.0.1:8080/v1/incidents/kapacitor/oldkey')",
    );
    let f = check(&rotated, &inputs());
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].code, f[0].severity),
        (Code::UrlNotTocsin, Severity::Error)
    );
    // Still Squadcast's host.
    let squadcast = task(
        GROUP,
        GOOD_ID,
        &format!(".post('https://api.squadcast.com/v1/incidents/kapacitor/{KEY}x')"),
    );
    assert_eq!(codes(&squadcast), vec!["url-not-tocsin"]);
    // Somewhere else: a warning, not an error.
    let elsewhere = task(GROUP, GOOD_ID, ".post('http://hooks.example/alerts')");
    let f = check(&elsewhere, &inputs());
    assert_eq!(
        (f[0].code, f[0].severity),
        (Code::UrlNotTocsin, Severity::Warning)
    );
    assert!(!has_errors(&f));
    // An endpoint whose URL is not Tocsin's is reported at the .endpoint.
    let mut other = inputs();
    other.endpoints = Some(vec![HttpPostEndpoint {
        name: "tocsin".into(),
        url: "http://127.0.0.1:8080/v1/incidents/kapacitor/typo".into(),
    }]);
    let ep = task(GROUP, GOOD_ID, ".post()\n            .endpoint('tocsin')");
    let f = check(&ep, &other);
    assert_eq!(f[0].code, Code::UrlNotTocsin);
    assert_eq!(f[0].line, 12);
    // Without the config or the URLs, those checks are left out, not guessed.
    assert_eq!(check(&unknown, &Inputs::default()), Vec::<Finding>::new());
    assert_eq!(check(&rotated, &Inputs::default()), Vec::<Finding>::new());
}

#[test]
fn findings_have_lines_columns_and_fixes() {
    let s = task(GROUP, "        .id('{{ .TaskName }}')\n", &post_url());
    let f = check(&s, &inputs());
    assert_eq!(f.len(), 1);
    // `.id` is on line 10, its name at column 10 (after 8 spaces and the dot).
    assert_eq!((f[0].line, f[0].column), (10, 10));
    assert_eq!(f[0].severity, Severity::Error);
    assert!(f[0].fix.contains(".Group"), "{}", f[0].fix);
    let s = "stream\n  |from()\n  |alert()\n    .id('x\n";
    let f = check(s, &inputs());
    assert_eq!(f[0].code, Code::Syntax);
    assert_eq!((f[0].line, f[0].column), (4, 9));
}

#[test]
fn ungrouped_alerts_need_no_group_in_the_id() {
    let s = task("", "        .id('{{ .TaskName }}')\n", &post_url());
    assert_eq!(codes(&s), Vec::<&str>::new());
    let star = task(
        ".groupBy(*)",
        "        .id('{{ .TaskName }}')\n",
        &post_url(),
    );
    assert_eq!(codes(&star), vec!["id-without-group"]);
}

/// What Chronograf's rule builder writes for a threshold rule with a "post" handler: vars for
/// everything, the id built by `+`, the chain split across vars.
fn chronograf(group_by: &str, id: &str, extra: &str) -> String {
    format!(
        r#"var db = 'telegraf'

var rp = 'autogen'

var measurement = 'cpu'

var groupBy = {group_by}

var whereFilter = lambda: ("cpu" == 'cpu-total')

var name = 'CPU high'

var idVar = {id}

var message = 'CPU on {{{{ index .Tags "host" }}}} is {{{{ .Level }}}}'

var idTag = 'alertID'

var levelTag = 'level'

var messageField = 'message'

var durationField = 'duration'

var outputDB = 'chronograf'

var outputRP = 'autogen'

var outputMeasurement = 'alerts'

var triggerType = 'threshold'

var crit = 90

var data = stream
    |from()
        .database(db)
        .retentionPolicy(rp)
        .measurement(measurement)
        .groupBy(groupBy)
        .where(whereFilter)
    |eval(lambda: "usage_user")
        .as('value')

var trigger = data
    |alert()
        .crit(lambda: "value" > crit)
        .message(message)
        .id(idVar)
        .idTag(idTag)
        .levelTag(levelTag)
        .messageField(messageField)
        .durationField(durationField)
{extra}        .post('http://127.0.0.1:8080/v1/incidents/kapacitor/{KEY}')

trigger
    |eval(lambda: float("value"))
        .as('value')
        .keep()
    |influxDBOut()
        .create()
        .database(outputDB)
        .retentionPolicy(outputRP)
        .measurement(outputMeasurement)
        .tag('alertName', name)
        .tag('triggerType', triggerType)

trigger
    |httpOut('output')
"#
    )
}

#[test]
fn chronograf_rule_builder_scripts() {
    // As Chronograf writes it (with its default .stateChangesOnly()): the id has the rule's
    // name and the group, so only the missing interval is reported.
    let as_written = chronograf(
        "['host']",
        "name + ':{{.Group}}'",
        "        .stateChangesOnly()\n",
    );
    assert_eq!(
        codes(&as_written),
        vec!["state-changes-only-without-interval"]
    );
    let fixed = chronograf(
        "['host']",
        "name + ':{{.Group}}'",
        "        .stateChangesOnly(5m)\n",
    );
    assert_eq!(codes(&fixed), Vec::<&str>::new());
    // An id edited to drop the group, upstream of the alert through two vars.
    let merged = chronograf("['host']", "name", "");
    assert_eq!(codes(&merged), vec!["id-without-group"]);
    // No group-by (Chronograf's `[]`): nothing to lose.
    assert_eq!(codes(&chronograf("[]", "name", "")), Vec::<&str>::new());
    // Chronograf's empty message.
    let empty = chronograf("['host']", "name + ':{{.Group}}'", "").replace(
        "var message = 'CPU on {{ index .Tags \"host\" }} is {{ .Level }}'",
        "var message = ''",
    );
    assert_eq!(codes(&empty), vec!["empty-message-template"]);
}

#[test]
fn every_code_has_a_distinct_stable_name() {
    let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), Code::ALL.len());
    for c in [
        "id-without-group",
        "id-without-task",
        "no-recoveries",
        "state-changes-only-without-interval",
        "flapping-suppresses-recoveries",
        "unknown-endpoint",
        "url-not-tocsin",
        "empty-id-template",
    ] {
        assert!(names.contains(&c), "{c}");
    }
}

#[test]
fn the_json_shape() {
    let f = check(&task(GROUP, "", &post_url()), &inputs());
    let v = serde_json::to_value(&f).expect("serialises");
    assert_eq!(v[0]["code"], "id-without-task");
    assert_eq!(v[0]["severity"], "warning");
    assert_eq!(v[0]["line"], 7);
    assert_eq!(v[0]["column"], 6);
}
