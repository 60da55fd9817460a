//! `invalid-app-config`: the app finds a required setting missing or invalid and exits.

use super::{Evidence, Finding, RuleContext, Signature, check_log_signatures};

declare_rule! {
    /// ## What it detects
    /// An application that exits at start-up because a required environment variable, config
    /// file or config value is missing or cannot be parsed.
    ///
    /// ## Why it crash-loops
    /// Configuration comes from the pod spec, ConfigMaps and Secrets, which do not change between
    /// restarts, so the app fails the same way each time, usually within seconds.
    ///
    /// ## Evidence
    /// - a log line naming the missing or invalid setting (`Missing required environment variable X`,
    ///   `required key X missing value`, `KeyError: 'X'`, a traceback through `os.environ['x']`,
    ///   Rust's `NotPresent`, `Could not resolve placeholder 'x'`, Spring `Failed to bind
    ///   properties under 'x'`, Quarkus `SRCFG00014`, .NET `OptionsValidationException`, serde's
    ///   `missing field`, a YAML/JSON/TOML parse error in a config file) (likely to strong)
    /// - the variable absent from the container's `env`/`envFrom`, a short run time, a non-zero exit
    ///
    /// ## Remedy
    /// Set the missing variable or value in the pod template (or the ConfigMap/Secret it comes
    /// from) and fix the syntax of the config file named in the error.
    ///
    /// ## Not covered
    /// ConfigMaps, Secrets or keys missing from the cluster (`missing-config-ref`), wrong flags (`bad-args`).
    pub(crate) static INVALID_APP_CONFIG = {
        cause: InvalidAppConfig, kind: CrashLoop, check: check, signatures: SIGNATURES,
    };
}

const SIGNATURES: &[Signature] = &[
    Signature {
        id: "env-missing",
        pattern: r"(?i)(?:missing|required|undefined|not set|unset|empty)[^A-Za-z0-9]+(?:required )?(?:environment|env)(?:ironment)? (?:variable|var)s?[: ]+['`]?(?P<target>[A-Z][A-Z0-9_]{2,})",
        example: "Error: Missing required environment variable STRIPE_API_URL",
        confidence: 0.85,
    },
    Signature {
        id: "env-var-not-set",
        pattern: r"(?i)(?:environment|env) (?:variable|var) ['`]?(?P<target>[A-Z][A-Z0-9_]{2,})['`]? (?:is )?(?:not set|required|missing|must be set|is empty|undefined)",
        example: "FATAL: environment variable DATABASE_URL is not set",
        confidence: 0.85,
    },
    Signature {
        id: "envconfig-required",
        pattern: r"required key (?P<target>[A-Z][A-Z0-9_]+) missing value",
        example: "envconfig.Process: required key STRIPE_API_URL missing value",
        confidence: 0.85,
    },
    Signature {
        id: "python-keyerror-env",
        pattern: r#"(?:KeyError: '|key not found: ")(?P<target>[A-Z][A-Z0-9_]{2,})['"]"#,
        example: "KeyError: 'DATABASE_URL'",
        confidence: 0.75,
    },
    Signature {
        id: "spring-placeholder",
        pattern: r"Could not resolve placeholder '(?P<target>[^']+)'",
        example: "java.lang.IllegalArgumentException: Could not resolve placeholder 'stripe.api.url' in value \"${stripe.api.url}\"",
        confidence: 0.85,
    },
    Signature {
        id: "config-parse-error",
        pattern: r"(?i)(?:error|failed) (?:parsing|loading|reading|to parse|to load|to read) (?:the )?(?:config(?:uration)?|settings)(?: file)?[: ]+(?:open )?(?P<target>[\w-]*[./][\w./-]*)?",
        example: "Error loading config file: /etc/app/config.yaml: yaml: line 7: did not find expected key",
        confidence: 0.75,
    },
    Signature {
        id: "invalid-config-value",
        pattern: r"(?i)invalid (?:configuration|config|value for|setting)[: ]+['`]?(?P<target>[\w.-]+)",
        example: "invalid configuration: log.level must be one of debug, info, warn",
        confidence: 0.7,
    },
    Signature {
        id: "framework-config-missing",
        pattern: r"ImproperlyConfigured: (?P<target>.+)|Missing `secret_key_base`|No application encryption key has been specified|Failed to configure a DataSource: '[a-z]+' attribute is not specified",
        example: r"django.core.exceptions.ImproperlyConfigured: The SECRET_KEY setting must not be empty.",
        confidence: 0.8,
    },
    Signature {
        id: "database-missing",
        pattern: r#"(?:\bdatabase \\?"|Unknown database '|Cannot open database \\?")(?P<target>[^"'\\]+)(?:\\?" does not exist|'|\\?" requested by the login)"#,
        example: r#"2026-12-07 10:13:41.201 UTC [88] FATAL:  database "orders" does not exist"#,
        confidence: 0.75,
    },
    Signature {
        id: "config-validation",
        pattern: r#"Config validation error: "(?P<target>[^"]+)"|validation errors? for [A-Za-z0-9_]*(?:Settings|Config)$|^yaml: (?:unmarshal errors|line \d+: )"#,
        example: r#"Error: Config validation error: "DATABASE_HOST" is required"#,
        confidence: 0.75,
    },
    // A config file whose structure the program's decoder rejects: Go's yaml/json, serde,
    // Jackson, Haskell's aeson.
    Signature {
        id: "config-unknown-field",
        pattern: r#"field (?P<target>\w+) not found in type [\w.]+|json: unknown field \\?"[^"\\]+\\?"|unknown field `[^`]+`, expected|Unrecognized field "[^"]+"|AesonException "Error in \$\.[\w.\[\]]+|\byaml: unmarshal errors"#,
        example: "serve: parse config: yaml: unmarshal errors:",
        confidence: 0.8,
    },
    Signature {
        id: "config-decode-error",
        pattern: r"(?i)\b(?:parse|parsing|load|loading|decode|decoding|unmarshal|unmarshalling|read|reading) (?:the )?config(?:uration)?(?: file)?(?: [\w./-]+)?: ",
        example: "Error: failed to load config file /etc/app/config.yaml: yaml: line 12: did not find expected key",
        confidence: 0.75,
    },
    // YAML syntax errors, as SnakeYAML, PyYAML and Go's yaml print them, in a config file.
    Signature {
        id: "yaml-syntax",
        pattern: r"^(?:while (?:parsing|scanning) an? (?:block mapping|block collection|simple key|flow mapping|quoted scalar|plain scalar)|expected <block end>, but found|mapping values are not allowed (?:here|in this context)|(?:yaml: line \d+: )?did not find expected (?:key|node content|'-' indicator))",
        example: "expected <block end>, but found '<block mapping start>'",
        confidence: 0.7,
    },
    // A Python traceback through `os.environ[...]`: the frame's source line names the variable,
    // and `raise KeyError(key) from None` is the line of `os._Environ.__getitem__` itself (a
    // little weaker alone: the frame names no variable).
    Signature {
        id: "python-environ-lookup",
        pattern: r#"\bos\.environ\[['"](?P<target>[^'"]+)['"]\]"#,
        example: "    title.text\t= os.environ['podcast_name']",
        confidence: 0.8,
    },
    Signature {
        id: "python-environ-getitem",
        pattern: r"^\s*raise KeyError\(key\) from None\s*$",
        example: "    raise KeyError(key) from None",
        confidence: 0.75,
    },
    // Rust's `std::env::var(..).unwrap()` on a variable that is not set.
    Signature {
        id: "rust-env-not-present",
        pattern: r"`Err` value: NotPresent\b|\benvironment variable not found\b",
        example: "thread 'main' panicked at src/main.rs:12:45: called `Result::unwrap()` on an `Err` value: NotPresent",
        confidence: 0.8,
    },
    // Framework binders and validators: Spring Boot, Quarkus (SmallRye Config), .NET options,
    // node-config, serde's TOML/JSON decoders.
    Signature {
        id: "config-binding",
        pattern: r#"(?:Failed to bind properties under '|SRCFG\d{5}: (?:The )?config property |Configuration property "|missing field `)(?P<target>[\w.\[\]-]+)(?:' to |"? is (?:required|not defined)|`(?: for key `[^`]+`)? at line \d+ column \d+)|Failed to load config value of type|\bConfiguration validation failed\b|OptionsValidationException|DataAnnotation validation failed for"#,
        example: "org.springframework.boot.context.properties.bind.BindException: Failed to bind properties under 'dubbo.provider.port' to java.lang.Integer",
        confidence: 0.8,
    },
    // A config file, named by its path, that its decoder rejects, with the decoder's own words
    // after it (serde, go-yaml, TOML, JSON). An OS error after the path (`no such file`,
    // `permission denied`) is another cause and does not match.
    Signature {
        id: "config-file-rejected",
        pattern: r#"(?i)\b(?:error|failed|unable|cannot|can't|could not)(?: to)? (?:parse|parsing|load|loading|read|reading|decode|decoding|deserialize|deserializing) (?:the )?(?:config(?:uration)? )?(?:file )?['"`]?(?P<target>[\w./-]+\.(?:toml|ya?ml|json|ini|conf|cfg|properties|hcl))['"`]?: .{0,40}?(?:missing field|unknown (?:field|key|variant)|invalid (?:type|value|length)|expected|unexpected|duplicate (?:key|field)|syntax error|parse error|line \d+|unmarshal|did not find|mapping values|could not find)"#,
        example: "Error: failed to parse /etc/openab/config.toml: missing field `discord`",
        confidence: 0.8,
    },
    // A file opened by an empty path: the setting that names it is empty (Go's `open :`,
    // Python's `No such file or directory: ''`, Node's `open ''`).
    Signature {
        id: "empty-path-setting",
        pattern: r"\b(?:open|stat|lstat|read) : no such file or directory|No such file or directory: ''|ENOENT: no such file or directory, (?:open|stat|scandir) ''",
        example: "[ERROR] [/registryctl/config/config.go:63]: failed to load storage driver, err:open : no such file or directory",
        confidence: 0.8,
    },
    // Environment schema validators (t3-env with Zod, envalid) list the variables they reject
    // on the lines after this header.
    Signature {
        id: "env-schema-rejected",
        pattern: r"(?i)(?:^|[^\w ] ?)(?:invalid|missing) environment variables?:",
        example: "❌ Invalid environment variables: [",
        confidence: 0.8,
    },
    // A named setting in snake, kebab or dotted case that the program checks at start.
    Signature {
        id: "setting-must-be",
        pattern: r"(?:^|[\s'`\x22])-{0,2}(?P<target>[a-z][a-z0-9]*(?:[_.-][a-z0-9]+)+)['`\x22]? must (?:be|contain|have|not be|match)\b",
        example: "cookie_secret must be 16, 24, or 32 bytes to create an AES cipher when pass_access_token == true or cookie_refresh != 0, but is 15 bytes.",
        confidence: 0.7,
    },
];

fn check(cx: &RuleContext<'_>, out: &mut Vec<Finding>) {
    let before = out.len();
    check_log_signatures(cx, out, &INVALID_APP_CONFIG, |s, hit| {
        let name = s.name();
        let title = match hit.target.as_deref() {
            Some(t) => {
                format!("container `{name}` exits on missing or invalid configuration `{t}`")
            }
            None => format!("container `{name}` exits on missing or invalid configuration"),
        };
        let steps = match hit.target.as_deref() {
            Some(path) if path.contains('/') => vec![
                format!(
                    "fix the config file `{path}` of `{name}` (the error names the line), or the ConfigMap that mounts it"
                ),
                "validate the file with the same parser before rolling it out again".to_owned(),
            ],
            Some(setting) => vec![
                format!(
                    "set `{setting}` for `{name}` in the pod template (`env`, or the ConfigMap/Secret it reads with `envFrom`)"
                ),
                "then check that the value is valid for the application (format, allowed values)"
                    .to_owned(),
            ],
            None => vec![format!(
                "set the setting the error names for `{name}` (pod template `env`, `envFrom`, or the mounted config file)"
            )],
        };
        (title, steps)
    });
    // Whether the named variable is defined at all in the container's env.
    for f in &mut out[before..] {
        let s = &cx.subjects[f.subject];
        let Some(target) =
            super::best_hit(s, INVALID_APP_CONFIG.cause).and_then(|h| h.target.clone())
        else {
            continue;
        };
        if !target
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            continue;
        }
        let defined = s.spec.env.iter().any(|e| e.name == target);
        if !defined && s.spec.env_from.is_empty() {
            f.confidence = (f.confidence + 0.05).min(0.95);
            let names: Vec<&str> = s.spec.env.iter().map(|e| e.name.as_str()).collect();
            f.evidence.push(Evidence::spec(
                s,
                "env",
                format!(
                    "`{target}` is not defined (env has: {})",
                    if names.is_empty() {
                        "nothing".to_owned()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    /// Lines real applications and runtimes print (issue reports), and neighbours' lines.
    #[test]
    fn signature_boundaries() {
        let causes = super::super::causes_of_line;
        for line in [
            r#"django.core.exceptions.ImproperlyConfigured: Either "SECRET_KEY" or "SECRET_KEY_FILE" settings parameters must be set."#,
            "KeyError: 'DATABASE_URL'",
            r#"2026-12-07 10:13:41.201 UTC [88] FATAL:  database "orders" does not exist"#,
            r#"sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at "postgres" (10.96.14.3), port 5432 failed: FATAL:  database "airflow" does not exist"#,
            "SQLSTATE[HY000] [1049] Unknown database 'speedtest_tracker'",
            r#"Microsoft.Data.SqlClient.SqlException (0x80131904): Cannot open database "Orders" requested by the login. The login failed."#,
            "django.core.exceptions.ImproperlyConfigured: The SECRET_KEY setting must not be empty.",
            "django.core.exceptions.ImproperlyConfigured: Set the DATABASE_URL environment variable",
            "ArgumentError: Missing `secret_key_base` for 'production' environment, set this string with `bin/rails credentials:edit`",
            "Missing `secret_key_base` for 'production' environment, set this string with `rails credentials:edit` (ArgumentError)",
            "No application encryption key has been specified.",
            "Failed to configure a DataSource: 'url' attribute is not specified and no embedded datasource could be configured.",
            "yaml: unmarshal errors:",
            "yaml: line 3: mapping values are not allowed in this context",
            "pydantic_core._pydantic_core.ValidationError: 1 validation error for Settings",
            r#"Error: Config validation error: "DATABASE_HOST" is required"#,
            r#"key not found: "DATABASE_URL" (KeyError)"#,
            "panic: required environment variable DATABASE_URL is not set",
            r#"Caused by: java.lang.IllegalArgumentException: Could not resolve placeholder 'db.url' in value "${db.url}""#,
            "error loading config file: open /etc/app/config.yaml: no such file or directory",
            // A traceback through os.environ, whatever the key's case.
            "    title.text\t= os.environ['podcast_name']",
            r#"    if os.environ["WOCHENENDE_DIR"] != None:"#,
            "    raise KeyError(key) from None",
            // Rust's std::env::var().unwrap().
            "thread 'main' panicked at src/main.rs:12:45:\ncalled `Result::unwrap()` on an `Err` value: NotPresent",
            "Error: environment variable not found",
            // Framework binders and validators.
            "org.springframework.boot.context.properties.bind.BindException: Failed to bind properties under 'dubbo.provider.port' to java.lang.Integer",
            "SRCFG00014: The config property quarkus.datasource.jdbc.url is required but it could not be found in any config source",
            "Failed to load config value of type class java.lang.String for: analytics.clickhouse-user",
            "Microsoft.Extensions.Options.OptionsValidationException: DataAnnotation validation failed for 'Options' members: 'InvitationClientId' with the error: 'The InvitationClientId field is required.'.",
            r#"Error: Configuration property "db.host" is not defined"#,
            "2022-08-08T23:09:29.750827589-07:00 ERROR - missing field `from_env` for key `account_provider` at line 31 column 1, please fix config.",
            "Error: Unable to load config file 'kubernix-run/kubernix.toml':  missing field `impure` at line 1 column 1",
            // A config file named by its path, rejected by its decoder.
            "Error: failed to parse /etc/openab/config.toml: missing field `discord`",
            "level=fatal msg=\"failed to load /etc/dex/cfg/config.yaml: error unmarshaling JSON: json: unknown field \\\"staticClient\\\"\"",
            "Error: could not read settings.ini: expected '=' at line 4",
            // Environment schema validators (t3-env with Zod, envalid).
            "❌ Invalid environment variables: [",
            "Missing environment variables:",
            // A path setting left empty.
            "[ERROR] [/registryctl/config/config.go:63]: failed to load storage driver, err:open : no such file or directory",
            "FileNotFoundError: [Errno 2] No such file or directory: ''",
            "Error: ENOENT: no such file or directory, open ''",
        ] {
            assert!(causes(line).contains(&"invalid-app-config"), "{line}");
        }
        for line in [
            "ModuleNotFoundError: No module named 'flask'",
            "Error: unknown flag: --foo",
            "pydantic_core._pydantic_core.ValidationError: 1 validation error for User",
            // A KeyError on a request's data, and reading the environment without indexing it.
            "KeyError: 'gke-cluster-1-pool-1-9a9ea7a4-v23m'",
            "    port = int(os.environ.get('PORT', '8080'))",
            // A JSON API response without a field is not a config file.
            "Error: missing field `id`",
            // A Spring property that bound fine.
            "2024-05-02 10:00:01.000  INFO 1 --- [main] o.s.b.c.p.bind.Binder : Bound properties under 'server' to ServerProperties",
            // A config file the OS will not give: another cause.
            "failed to read /etc/app/config.toml: permission denied",
            "Error: failed to load /config/settings.yaml: open /config/settings.yaml: no such file or directory",
            // A data file, not configuration, and a log that only mentions variables.
            "failed to parse /data/cache.bin: unexpected EOF",
            "Loaded 12 environment variables from .env",
            // A path that is set but absent is a missing file, not an empty setting.
            "open /etc/app/config.yaml: no such file or directory",
            "FileNotFoundError: [Errno 2] No such file or directory: '/data/model.bin'",
        ] {
            assert!(!causes(line).contains(&"invalid-app-config"), "{line}");
        }
    }
}
