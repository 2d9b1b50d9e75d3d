//! What an alert's Go text/template (`.id()`, `.message()`) refers to, read without running it.
//!
//! Only the shape matters to the checks: does the id name the group (`.Group`, or every
//! group-by tag through `index .Tags "host"` / `.Tags.host`), the task (`.TaskName`), and is
//! there any fixed text at all.

/// What a template mentions.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TemplateShape {
    pub group: bool,
    pub task_name: bool,
    /// Tags it reads by name.
    pub tags: Vec<String>,
    /// The text outside `{{ … }}`, concatenated.
    pub literal: String,
    /// How many `{{ … }}` actions it has.
    pub actions: usize,
}

impl TemplateShape {
    /// Whether the template may render as nothing: no fixed text that is not blank, and no
    /// action (an action could still be empty, but then it is the data's doing, not the script's).
    pub fn is_blank(&self) -> bool {
        self.literal.trim().is_empty() && self.actions == 0
    }

    /// Whether the fixed text has something that can tell tasks apart (a letter or digit).
    pub fn has_words(&self) -> bool {
        self.literal.chars().any(char::is_alphanumeric)
    }
}

pub fn shape(template: &str) -> TemplateShape {
    let mut out = TemplateShape::default();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.literal.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            // Unterminated: Kapacitor refuses it; treat the rest as text.
            out.literal.push_str(&rest[open..]);
            return out;
        };
        action(&after[..close], &mut out);
        rest = &after[close + 2..];
    }
    out.literal.push_str(rest);
    out
}

fn action(body: &str, out: &mut TemplateShape) {
    out.actions += 1;
    let body = body.trim_matches(|c: char| c == '-' || c.is_whitespace());
    let words: Vec<&str> = body.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let w = w.trim_matches(|c| c == '(' || c == ')');
        match w {
            ".Group" => out.group = true,
            ".TaskName" => out.task_name = true,
            ".Tags" => {
                if i > 0 && words[i - 1].trim_start_matches('(') == "index" {
                    if let Some(tag) = words.get(i + 1) {
                        let tag = tag.trim_end_matches(')');
                        out.tags.push(unquote(tag));
                    }
                }
            }
            _ => {
                if let Some(tag) = w.strip_prefix(".Tags.") {
                    out.tags.push(tag.to_string());
                }
            }
        }
    }
}

fn unquote(s: &str) -> String {
    s.trim_matches(|c| c == '"' || c == '`').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_group_task_tags_and_text() {
        let s = shape("{{ .Name }}:{{ .Group }}");
        assert!(s.group && !s.task_name && !s.has_words() && s.literal == ":");
        let s = shape(r#"cpu:{{ index .Tags "host" }}/{{.Tags.cpu}}"#);
        assert_eq!(s.tags, vec!["host".to_string(), "cpu".to_string()]);
        assert!(s.has_words() && !s.group);
        let s = shape("{{- .TaskName -}}");
        assert!(s.task_name);
        assert!(shape("  ").is_blank() && !shape("{{ .ID }}").is_blank());
        assert!(!shape("{{ .Groupish }}").group);
    }
}
