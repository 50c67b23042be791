//! The secrets pack end to end: realistic snippets per provider family must yield exactly the
//! expected rule ids, hard negatives must yield no secret at all, and no output ever contains
//! a value. Every value below is random output of a throwaway generator, never a real
//! credential. Also: importing gitleaks configurations.

use crate::common::{TempRepo, assert_no_value, phiguard_stdin};
use std::collections::BTreeSet;

/// Scans `text` as `path` and returns the run.
fn scan(path: &str, text: &str) -> crate::common::Run {
    phiguard_stdin(
        &[
            "scan",
            "--no-config",
            "--stdin-filename",
            path,
            "-",
            "--format",
            "json",
        ],
        text.as_bytes(),
    )
}

/// The findings of `text` scanned as `path` (JSON); asserts that the scan ran and that none
/// of `values` is echoed.
fn findings(path: &str, text: &str, values: &[&str]) -> Vec<serde_json::Value> {
    let r = scan(path, text);
    assert!(r.code == 0 || r.code == 1, "{path}: {}", r.all());
    assert_no_value(&r.stdout, values);
    assert_no_value(&r.stderr, values);
    r.json()["findings"].as_array().unwrap().clone()
}

/// Secret rule ids found in `text` scanned as `path`; asserts that no value is echoed.
fn secret_rules(path: &str, text: &str, values: &[&str]) -> BTreeSet<String> {
    findings(path, text, values)
        .iter()
        .filter(|f| f["category"] == "secret")
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

/// Severities of the findings in `text` scanned as `path` (only rule `rule`'s, when given),
/// in report order; asserts that none of `values` is echoed.
fn severities(path: &str, text: &str, rule: Option<&str>, values: &[&str]) -> Vec<String> {
    findings(path, text, values)
        .iter()
        .filter(|f| rule.is_none_or(|rule| f["rule"] == rule))
        .map(|f| f["severity"].as_str().unwrap().to_owned())
        .collect()
}

/// (name, path, text, expected rule ids, values that must never be printed)
type Case = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

const POSITIVES: &[Case] = &[
    (
        "adafruit_io_key",
        ".env",
        "IO_KEY=\"aio_zymMlopiWfqUyHRSIf8NFmAUNLnY\"\n",
        &["secret.adafruit.io-key"],
        &["aio_zymMlopiWfqUyHRSIf8NFmAUNLnY"],
    ),
    (
        "dropbox_short_lived",
        "config/dropbox.json",
        "{\"access_token\": \"sl.VXBt7wRkl8OZfIa2AUk7z7gTqBu4wweocv81k2lsNaWQrZzhB4GZqT8hqt0pmpsLww0sAO_DGpUxjKbgRBWZRZX1VlxeVZ4DNCNnOBFXL4k41GiLP9qG3L0uKW4yWRzSaTLyvH1D0SZa\"}\n",
        &["secret.dropbox.short-lived-token"],
        &[
            "sl.VXBt7wRkl8OZfIa2AUk7z7gTqBu4wweocv81k2lsNaWQrZzhB4GZqT8hqt0pmpsLww0sAO_DGpUxjKbgRBWZRZX1VlxeVZ4DNCNnOBFXL4k41GiLP9qG3L0uKW4yWRzSaTLyvH1D0SZa",
        ],
    ),
    (
        "sonarqube_user_token",
        ".github/workflows/ci.yml",
        "      SONAR_TOKEN: squ_36095e68de96039211d9b963cc58ea44ecd5b868\n",
        &["secret.sonarqube.token"],
        &["squ_36095e68de96039211d9b963cc58ea44ecd5b868"],
    ),
    (
        "codeclimate_repo_token",
        ".env",
        "CODECLIMATE_REPO_TOKEN=9209dcb468e07e032fd0db161b56bb9a2f5fe555a6323d188a3b99e68433f7a4\n",
        &["secret.codeclimate.reporter-id"],
        &["9209dcb468e07e032fd0db161b56bb9a2f5fe555a6323d188a3b99e68433f7a4"],
    ),
    (
        "android_build_config",
        "app/build.gradle",
        "buildConfigField 'String', 'API_KEY', '\"3c5e11dc057071e2b0cf6128e6e96235\"'\n",
        &["secret.generic.build-config"],
        &["3c5e11dc057071e2b0cf6128e6e96235"],
    ),
    (
        "web_config_add_key",
        "Web.config",
        "<add key=\"PaymentsSecretKey\" value=\"SIJ0pqgAk5aCWvQ5A0k5NSZAeS915OVp\" />\n",
        &["secret.generic.xml-setting"],
        &["SIJ0pqgAk5aCWvQ5A0k5NSZAeS915OVp"],
    ),
    (
        "cli_api_key_flag",
        "scripts/publish.sh",
        "uploader --api-key IsBAtX3JNJd0sgbOiv9JU1Bpk8QfvJSI --dry-run\n",
        &["secret.generic.cli-flag"],
        &["IsBAtX3JNJd0sgbOiv9JU1Bpk8QfvJSI"],
    ),
    (
        "env_vendor_key",
        ".env",
        "MAILER_KEY=hp4J9EZCTravybY9jV3znYRblPCVB9fASrEMSIUJ\n",
        &["secret.generic.key"],
        &["hp4J9EZCTravybY9jV3znYRblPCVB9fASrEMSIUJ"],
    ),
    (
        "long_access_token",
        "config/dropbox.json",
        "{\"access_token\": \"wMHlCh_Wc60LO0SMJRuXf19GJlXBHsVo7pJ4aeHoF8f0kJzUslxYULkvfpxcrrL8LgfnPdrSluBA2OC3UCN6qTWNf-YSAuAO02hfO28u1UFOeL5wZV_c2x4y3i6aYWGhe1XSIvsi7pi2\"}\n",
        &["secret.generic.token"],
        &[
            "wMHlCh_Wc60LO0SMJRuXf19GJlXBHsVo7pJ4aeHoF8f0kJzUslxYULkvfpxcrrL8LgfnPdrSluBA2OC3UCN6qTWNf-YSAuAO02hfO28u1UFOeL5wZV_c2x4y3i6aYWGhe1XSIvsi7pi2",
        ],
    ),
    (
        "terraform_aws_provider",
        "infra/main.tf",
        "provider \"aws\" {\n  region     = \"eu-west-1\"\n  access_key = \"AKIAUJZDEGXDNCF32EPF\"\n  secret_key = \"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\"\n}\n",
        &["secret.aws.access-key-id", "secret.aws.secret-access-key"],
        &[
            "AKIAUJZDEGXDNCF32EPF",
            "2hpChYgCfrL1spNxnyVmihA/2O76UMFxFkM/R5Kj",
        ],
    ),
    (
        "aws_credentials_ini",
        "home/.aws/credentials",
        "[default]\naws_access_key_id = AKIAH2KVJ72CEUVW75EF\naws_secret_access_key = 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\naws_session_token = IQoJb3JpZ2luX2VjAQAoHIb7XSPtOAL9YcSYUqczt7gqjqu+1QTtHg0LAPfkM32oRHZ1M7LchDVyxB3u2IP0W0Cr4NAxUNuh5mgTqY84th72OmoEit6Q3TIEgxOpQlMpCYDkpGpV3ep7ITcYi3Fu5SDhUjeildILN9jv2EGbajGedyFqm7X3PoOMXvZBfn+J46Qi28qawCsKFq0kVAgrKWYWUWEGTM/KCiLiO7XR+sGsDRY16nHyNclQTWo4gBUsjidUXcrBXklL4jS8cE0rbjyOFuXk0wo1yHwahfWN\n",
        &[
            "secret.aws.access-key-id",
            "secret.aws.secret-access-key",
            "secret.aws.session-token",
        ],
        &[
            "AKIAH2KVJ72CEUVW75EF",
            "dJ8HyS5SUkCnD8zRA9a9SkpXz9w3QlY7Zkuvqdt7",
            "IQoJb3JpZ2luX2VjAQAoHIb7XSPtOAL9YcSYUqczt7gqjqu+1QTtHg0LAPfkM32oRHZ1M7LchDVyxB3u2IP0W0Cr4NAxUNuh5mgTqY84th72OmoEit6Q3TIEgxOpQlMpCYDkpGpV3ep7ITcYi3Fu5SDhUjeildILN9jv2EGbajGedyFqm7X3PoOMXvZBfn+J46Qi28qawCsKFq0kVAgrKWYWUWEGTM/KCiLiO7XR+sGsDRY16nHyNclQTWo4gBUsjidUXcrBXklL4jS8cE0rbjyOFuXk0wo1yHwahfWN",
        ],
    ),
    (
        "ci_env_file",
        "ci/deploy.env",
        "GITLAB_TOKEN=glpat-ldE7G5dWXflq9BivY3B1\nNPM_TOKEN=npm_cCe41WJLZ1biJLYDcL5clgtOj45BkKOnSUn3\nLOG_LEVEL=debug\n",
        &[
            "secret.gitlab.personal-access-token",
            "secret.npm.access-token",
        ],
        &[
            "glpat-ldE7G5dWXflq9BivY3B1",
            "npm_cCe41WJLZ1biJLYDcL5clgtOj45BkKOnSUn3",
        ],
    ),
    (
        "curl_commands",
        "scripts/release.sh",
        "curl -fsS -u release-bot:2i8lmDwA6kN! https://nexus.internal/service/rest/v1/components\ncurl -H \"Authorization: Bearer ZpmQx9MZHiwMJdJ85RnIWi1sgnNj0N7WgTI85xsT\" https://api.internal/v2/deploy\n",
        &["secret.curl.basic-auth", "secret.http.bearer-token"],
        &["2i8lmDwA6kN!", "ZpmQx9MZHiwMJdJ85RnIWi1sgnNj0N7WgTI85xsT"],
    ),
    (
        "dockerfile_env",
        "Dockerfile",
        "FROM python:3.12-slim\nENV APP_DB_PASSWORD wdHbB#84iZg4\nCMD [\"python\", \"app.py\"]\n",
        &["secret.dockerfile.env"],
        &["wdHbB#84iZg4"],
    ),
    (
        "sdk_calls",
        "billing/client.py",
        "import stripe\nstripe.api_key = \"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\"\nclient = OpenAI(api_key=\"sk-proj-_jQMkeDAZYFzGlyenA9DPSBvibLzJZaPqbHJo6KxtUJzALVU_BPsDmJFeE81T3BlbkFJOneJZXNhio7CS1uOAmZkWRmEsT9k7XWuWLl3orEfCLInbYAQkBNZ0xpM19jA\")\n",
        &["secret.stripe.secret-key", "secret.openai.project-key"],
        &[
            "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",
            "sk-proj-_jQMkeDAZYFzGlyenA9DPSBvibLzJZaPqbHJo6KxtUJzALVU_BPsDmJFeE81T3BlbkFJOneJZXNhio7CS1uOAmZkWRmEsT9k7XWuWLl3orEfCLInbYAQkBNZ0xpM19jA",
        ],
    ),
    (
        "npmrc",
        ".npmrc",
        "registry=https://npm.pkg.internal/\n//npm.pkg.internal/:_authToken=ORN1MtdvUvn7xewztDUgpEpIrzo8Jl1cu6sQ\nalways-auth=true\n",
        &["secret.npm.npmrc-auth-token"],
        &["ORN1MtdvUvn7xewztDUgpEpIrzo8Jl1cu6sQ"],
    ),
    (
        "service_account_json",
        "deploy/gcp-key.json",
        "{\n  \"type\": \"service_account\",\n  \"project_id\": \"claims-etl\",\n  \"private_key_id\": \"b932fbc98c09353587493d96850bd6853273ed17\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n5SGWJ3H/odbdcq9AhKWjwzJp4nyRD8yrYFC4KiE6nTiSi760LhKHZ/DKGqKleJjb\\nuEvzlXz7t4pleDwRk+5M7WJevuk0+xQD03amtPXna7mcTdV/K1Q+sC2S0L00o0mf\\nmpz1AP7q9CIhHvMD9z+DbKRYUICg9JLcf2+iLQZd1mO4Ui1PtZPdG99HPat6s1Xu\\nN9aTtpVgL8wNMU2dAWXZH66t8i8gyRy+hxRW1fI+M3QIAUC+X9ZVcTcyq49lWaTQ\\ndfKwtbWxqt7RlwPuldQyt2ZPIta1NbIg54IwTVO09AVXLfKQXpBcw6Qh9ITME9V5\\nuPBuSed1ih+uzfwZ5DTpppa8MpQtGUvwHxNrHJ/RxDO3HluVdGMvM4GstFjuGYHG\\nSgq8xOfsEgM85T6WmT9rTUBL260Lprtub15ZiwPg3DtM0YydgW4mPcMD9hmJFQ+N\\nAato7pqDqBiLwdjgKCOsyicVtFMbhaDnYyDAL2tCDPsr82CrNwG/NJ6ovgXRboIX\\nUo0vGITPzQdgUxxTdaueTn3I7OZ39Nj6e2Xb9ZPH9RY2AjFKoiwu0vmaIcQMo+bu\\nFqrUi55EDN2Fzh1LGewmPZsBWKmCZPMZstJhPK7qtOjJclJgIIquBK4AUQUbl4Hk\\n-----END PRIVATE KEY-----\\n\",\n  \"client_email\": \"etl@claims-etl.iam.gserviceaccount.com\"\n}\n",
        &["secret.gcp.service-account", "secret.private-key"],
        &["5SGWJ3H/odbdcq9AhKWjwzJp4nyRD8yrYFC4KiE6"],
    ),
    (
        "spring_properties",
        "src/main/resources/application.properties",
        "spring.datasource.url=jdbc:postgresql://db.internal:5432/claims?user=claims&password=B56x9yJLogi-\nspring.datasource.username=claims\nspring.datasource.password=l1Ago37UC+eb\n",
        &["secret.db.jdbc-password", "secret.generic.password"],
        &["B56x9yJLogi-", "l1Ago37UC+eb"],
    ),
    (
        "mongo_uri",
        "config/production.js",
        "module.exports = { mongo: 'mongodb+srv://api:4Jl3whcXcT%2@cluster0.q7xkz.mongodb.net/prod?retryWrites=true' };\n",
        &["secret.db.mongodb-uri"],
        &["4Jl3whcXcT%2"],
    ),
    (
        "k8s_secret",
        "k8s/etl-secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: etl\ntype: Opaque\nstringData:\n  AWS_SECRET_ACCESS_KEY: M5PWxO0DbHx0wZacz1Vml4qAc1UdP1rSYFsnyfWl\n  SLACK_BOT_TOKEN: xoxb-845436098718-2857580858638-c1z6nzFznKRm1TthviK5taVm\n",
        &["secret.aws.secret-access-key", "secret.slack.bot-token"],
        &[
            "M5PWxO0DbHx0wZacz1Vml4qAc1UdP1rSYFsnyfWl",
            "xoxb-845436098718-2857580858638-c1z6nzFznKRm1TthviK5taVm",
        ],
    ),
    (
        "docker_compose",
        "docker-compose.yml",
        "services:\n  api:\n    environment:\n      DATABASE_URL: postgres://api:4D7#cqCm9hBi@postgres:5432/api\n  postgres:\n    environment:\n      POSTGRES_PASSWORD: \"3x!qXuC6h2Hj\"\n",
        &["secret.db.postgres-uri", "secret.generic.password"],
        &["4D7#cqCm9hBi", "3x!qXuC6h2Hj"],
    ),
    (
        "jwt_header",
        "notes/debug.http",
        "GET https://api.internal/v1/claims\nX-Service-Token: eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJzdWIiOiAic3ZjLWV0bCIsICJpYXQiOiAxNzY3MjI1NjAwfQ.nHyqaAOyDt62bhm0aazHtQRQw2XgL4abzozXTS8J58UoWxZXrl2qfuUgx46jJYoIgxPXiQlfBwfQja6FPUcTRw\n",
        &["secret.jwt"],
        &[
            "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJzdWIiOiAic3ZjLWV0bCIsICJpYXQiOiAxNzY3MjI1NjAwfQ.nHyqaAOyDt62bhm0aazHtQRQw2XgL4abzozXTS8J58UoWxZXrl2qfuUgx46jJYoIgxPXiQlfBwfQja6FPUcTRw",
        ],
    ),
    (
        "saas_env",
        "ops/.env.production",
        "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/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\nSENDGRID_API_KEY=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\nANTHROPIC_API_KEY=sk-ant-api03-YlhIFWeqIJ8QurJSg_t-ZUPwMs5V6Q-Qh5ceFTbpXfSIfSYIAOUdTY-7g34ystQjW-jzxreyqLndB0dhiVjCcC2fyGHUCAA\nHF_TOKEN=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\n",
        &[
            "secret.slack.webhook-url",
            "secret.sendgrid.api-key",
            "secret.anthropic.api-key",
            "secret.huggingface.access-token",
        ],
        &[
            "8Q9QVgs0MTX1gBs3Q26IP3Py",
            "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",
            "sk-ant-api03-YlhIFWeqIJ8QurJSg_t-ZUPwMs5V6Q-Qh5ceFTbpXfSIfSYIAOUdTY-7g34ystQjW-jzxreyqLndB0dhiVjCcC2fyGHUCAA",
            "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",
        ],
    ),
    (
        "pgp_private_key",
        "keys/release.asc",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\nJfrJoJrruxENsiFCjmboYUIctPyZ5Zsc1s6ItwNhGBvxJPTNMahDgv8uA2WeBkjb\niOHwMPoHtOl7O4K1i0xA8jl0h9Wl9pD6BpylFYj07TPddYV4ICo3HfDPy2W/6TqO\nYKBOoSuCWavNFitdmSqPV7O2Son1ZgfD2hk6DnUJqsjKL1llfUZKP9Cba2z0kJiM\nSx3GsBebKWiiyo7ZNxP+c2p4cKQOSqkDoNSo6AUI1y96ODzFe/l5xR9rVtzmvYKX\nJsgMmd5xRRCRICEOn3zI5qrufbHOnYsKby1J3vdtn0okoIwA52QUNFkt+gwKgVjA\n+9qfG7YkH7Mul0OOEvfw1tpTRN+ijUvN+YGgwPjppBxWA2NT2kj15IE9vyCpEF6U\nSvgX3YI5hzQMykWSEcnNYjtzLZAm+Pw5ZNGeakY29VuQoikasvXg09hHx5V+VasZ\nRhEuSW4OEbWFKXBLVMJ6NRDgDCnlhm3aOAhPG+wUADNZHKkvSwNNKVVJ/5QPBWR8\nl81jfbwr7PLx7IJpN/+UTUOV96E0GXFp2dKwB1rppkL5vxqshCx5TYkcjFrLFMU3\n0XpjXHsgPhZtfgMqZp5zSgGedwVDjVmfrVJAGqEPLG6zS/5drYMLF7LUEMxqs1Vs\n-----END PGP PRIVATE KEY BLOCK-----\n",
        &["secret.private-key"],
        &["iOHwMPoHtOl7O4K1i0xA8jl0h9Wl9pD6BpylFYj0"],
    ),
    (
        "openssh_private_key",
        "deploy/id_ed25519",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nlwaRGrpRR6dPjdsdVfOx2c6GIkhekBa1L3C4PwBTKzhCJishrElmdIIzlNu9oWAH\nTxvQOzATZ730+n8Hsb5WToN8QtvOu4N7NMKbZQpVlYyJyVbNWVP9lxfMmBhGVQVV\nl1sm/v0krYxF7uuwZO2yeKc2aGp9Ox5fDZmoJKQlegaWNfcj6dWeH3ZnzrYzIuVN\narm5g0+yljgE0LQZUGRn2Z4l9gPVCFZGubj2N25sdpKidemjTjCpdqnxscVw7pAd\nkn1GLtwE6GUaeXixgOC+QWfRcqfzJlLp5lYonIBxZ+mArAr6YAyJI4xqw26nfNle\nUO5+WwUt3q8yKmiqfSSqzif9QsUWzULsMgUdDaLJ6/Lf778YMLwaiaZdmBj8gTww\nyJta7tct4ISyYpncbLfkfIy9SGXgwXaZTYtKRIR9JnMfQV+MoIaLEC+L+6ytoDy0\nblmPykdHc0tTNhUidatuVs9tgSiOnvInX7SrSqKhSxTID5WlbPkg33+2XMsJZzY8\nysGoOOj0U4R0TPolDWf0/kvHtKSWQ5aQ7I45SkO4uEsAlkP3LmDZ/+3zguvwH+fS\nPrdmddfC1T8Bk6Z7cZCiqeL10RE/lwAQhHrCN6dfYtnrl3oZWb6txqy5rHoKVS9V\n-----END OPENSSH PRIVATE KEY-----\n",
        &["secret.private-key"],
        &["TxvQOzATZ730+n8Hsb5WToN8QtvOu4N7NMKbZQpV"],
    ),
    (
        "putty_key",
        "keys/ci.ppk",
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: ci\nPublic-Lines: 2\ntK1mjN7zRnXNH5v9D9bVRh9LJe3Wulrmad45Ks2aWjkIfweNbat8enXBvVxgkMOM\njwymEi7FHtzUopAeyv4iL2ivcY6IOJGtd3w/kxTlEu0Yr/g2myOuqvdC6i80G9dG\nPrivate-Lines: 2\noG8RngfKjqTh9fXH+5M+o871IL3Jp0xy4EBJ2JYxfBxP+DubwZpg4IG89XlaKbRf\n8LPYcgKsYC3o9Gzku1x1dUkYhPVEZVj93nLZ8sdvTb401KxLAzLU9DYVIRkG4/+N\nPrivate-MAC: 1934e783a2659ab147dfeb635b2c02caf7f9821cba6f04e64375a5091705ea05\n",
        &["secret.putty-private-key"],
        &["oG8RngfKjqTh9fXH+5M+o871IL3Jp0xy4EBJ2JYx"],
    ),
    (
        "github_in_url",
        "scripts/clone.sh",
        "git clone https://x-access-token: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@github.com/acme/claims.git\n",
        &["secret.github-token"],
        &["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"],
    ),
    // Written as escapes: percent-escaped in a webhook URL (`%5F` for `_`), and hex-encoded
    // (`xxd -p`), gitleaks' percent and hex decoders' cases.
    (
        "github_percent_escaped_in_url",
        "scripts/notify.sh",
        "curl \"https://hooks.example.com/notify?token=ghp%5FtEIp8bmQUYU8j7WFlVrgWchrFfwOUH1ZfMoL\"\n",
        &["secret.github-token"],
        &["tEIp8bmQUYU8j7WFlVrgWchrFfwOUH1ZfMoL"],
    ),
    (
        "aws_key_id_hex",
        "scripts/deploy.sh",
        "AWS_KEY_HEX=414b494159564f4b59535259415042344a4a554b\n",
        &["secret.encoded.hex"],
        &["414b494159564f4b59535259415042344a4a554b"],
    ),
    (
        "sql_create_user",
        "db/migrations/003_roles.sql",
        "CREATE USER reporting WITH LOGIN PASSWORD 'F6lFZq81_sko';\n",
        &["secret.sql.password"],
        &["F6lFZq81_sko"],
    ),
];

/// (name, path, text): none of these is a secret.
const NEGATIVES: &[(&str, &str, &str)] = &[
    (
        "password_hashes",
        "db/seed/users.json",
        "[{\"user\": \"ops\", \"password\": \"$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW\"}]\n",
    ),
    (
        "encoded_prose",
        "k8s/configmap.yaml",
        "data:\n  secret: dGhpcyBpcyBub3QgYSBrZXk=\n",
    ),
    (
        "env_placeholders",
        ".env",
        "DB_PASSWORD=${DB_PASSWORD}\nAPI_KEY=<your-api-key>\nSECRET_KEY=changeme\nTOKEN=xxxxxxxxxxxxxxxx\nPASSWORD=********\n",
    ),
    (
        "env_lookups",
        "app/settings.py",
        "PASSWORD = os.environ['DB_PASSWORD']\nAPI_KEY = os.getenv('API_KEY')\n",
    ),
    (
        "js_lookup",
        "src/config.ts",
        "export const apiKey = process.env.API_KEY ?? '';\nconst password: string = process.env.DB_PASSWORD!;\n",
    ),
    (
        "java_lookup",
        "src/main/java/Db.java",
        "ds.setPassword(System.getenv(\"DB_PASSWORD\"));\nString token = ENV.get(\"TOKEN\");\n",
    ),
    (
        "cfn_and_k8s_refs",
        "deploy/stack.yaml",
        "MasterUserPassword: !Ref DbPassword\nenv:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db\n        key: password\n",
    ),
    (
        "helm_template",
        "chart/templates/secret.yaml",
        "stringData:\n  password: {{ .Values.db.password | quote }}\n  token: \"{{ required \\\"token\\\" .Values.token }}\"\n",
    ),
    (
        "public_key_pem",
        "keys/signing.pub",
        "-----BEGIN PUBLIC KEY-----\nkXYTimkhgwE8zMxkIwqQaiJYkOTjC4fXrE/GsgeK4F0XM+XzOjoaPzU1TZJmd0Uk\nWXqeG27zm8X1NhlexFFBxda25GyX7JsREuEuYAlGGmLBzVfxaPlm9o1DitygnThH\nd6CHKfh60YyMbbLS7CpOeoPh7tXswo4OXn23Z0ctMH3zKo+RmeJ+jXAUwSYiZTpi\nobAd4uw55Y76dS9PsOoYNwkgCRlaJzPE8Zr1fxgUOkc1GN3LtIUsUNTg7/iP7BCH\nU986gJX5Lw1HB5RmMuBmEuF/9AFyOdB0HcK1Y+LjpS3SM7l5iXxw6YZJpsBTz7i5\nSMY2Kiu3juSCw+r+sD0uWk0VWIKlfkCOAxABVb5upmOUTpgS0CdVoDRDgc5HPMHv\nn8YmWEZTQWU6gG3bGgAm6iwcbwbrvsaV8AoeLNCzk11uwu8ZS5ZZ41IvnngfO2RO\nMuu1rhDOBnfvrR42WrIR+WCMqJJ/bwmNQQKFA0QTyDuakHr/dw42fTkpDAsVwB0u\nXR1AgMLUWUZif6lcBs7gfz1gXt/8ZjKPTiNxXVysqcyalymc/1gWJIi6WMOoq2XF\nWe4DuMXlBDFsNE7c9bDD5WQv/gW3zlXDe2eCLvhVI4wm1vSfwn/lE2KZyFu1bju8\n-----END PUBLIC KEY-----\n",
    ),
    (
        "certificate",
        "certs/ca.crt",
        "-----BEGIN CERTIFICATE-----\nFmntn7GE1LegEc8IbhZsbsghPrq+XYk/aHBCmDxfXJp/vzxh9PA5cbGB5HPF8o+5\nuEUqE/Nb+Mbsn2aPbZ6QAJiXHaPLiplQhT1yuZtcxmr4m3VzUQyPkhkdwy2Bzc70\noTtk2arrADeJc5yaO9zvbW6vfdszCZ/X5FXo9xrNcR4mxyESv32q6Icbx3DFUrxN\nbmAmrpkRdNQ3Dn6bEKNTWeKoVaA4F/zlX7WBsi9Oynpsp6dSQPxQSXUemYdpW7Ce\nw4ArI9NjVfXPknxAnseJrR7pg2VYq15nI2vJUmxkVdP3Alb9XHLhJ0I1ob1JlGit\nMe+QDWKSqsXUClHnpZIkdVlHvJNpW9wJZQL64MYFWIs+S5Hp+l3Tm1eoIhmcD8i6\nsJu94yN8mK3FMWrLoEPwTHky9fSzRzS8WpYdrX3bvlQ8k+isEsxF4Bl66iVlMozk\naeEnqO1MNpWUnafZ3G6ypMsc3lWAXYrS6zosGiksvLXw0mNcVlbRcN5t/fK2MONy\nNcNVYn801InvIk/wfVAbc9QWPDKVOROOQ9Hgd+vTtcMFO0+AHrdrmIqWRfr98dep\nKhBMXyEZvZRZSFm2jXmqa8da+F1dyA8fitKjoy8Jhi31hLraKxooYpXEcIbt7C4w\n-----END CERTIFICATE-----\n",
    ),
    (
        "ssh_public_keys",
        "home/.ssh/authorized_keys",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqOgD3Qn9vjXd3ML94NilJRXRw+a4n2g0m0xm9Qqy9h deploy@ci\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQXiGl0Dr5mnCp9Xt2oNpIqBPp7gVcTs2iOE85QbA3U3vJgsRsrf4XdG/uBmTuo7DgbomNf2aTwIFLonsJrhG8CxpPo/n6pseH6rYGaMelF7xz2EF4IANhrGSDceOANmSswInIpiU+V58/6eEsuyZ8Kb8FpoA7EyC5Jpe1qTCqR/8mylsU62yKBXkmRkcFqx6dPZYqecnGyp6wHqoV+hVD7ABenrbK6F9c5JTfVx/6cJS/fzf52cq8b/FIvj7ivN109lMolMuFUSYtF1NkNlin3RGYeOebfgaePxX7PaV4UbDY ops@bastion\n",
    ),
    (
        "hashes",
        "Cargo.lock",
        "[[package]]\nname = \"serde\"\nchecksum = \"d0fda3f21c13c25a9bfdacd069476b9786c0e968bc94c36490318bf4c09da81b\"\n",
    ),
    (
        "package_lock_integrity",
        "package-lock.json",
        "{\"integrity\": \"sha512-AiKud8SM9POcoA+VO75py47mkYqJHOtwNFiBYA8y8AwgOSeAsUcD9UUlvJCnzzv86ihAb6rzHM4E8FNLV8V/Kw==\", \"resolved\": \"https://registry.npmjs.org/x/-/x-1.0.0.tgz\"}\n",
    ),
    (
        "git_shas",
        "deps.yaml",
        "commit: 345746cb2abed527141afa814e8d362532ceb8e5\nsecret_sha: 8e81505604918bcdf64fe68e02c3efceb46124e0\n",
    ),
    (
        "uuids",
        "config.yaml",
        "request_id: 123e4567-e89b-42d3-a456-426614174000\napi_key_id: 0f8fad5b-d9cb-469f-a165-70867728950e\n",
    ),
    (
        "base64_non_secret",
        "k8s/configmap.yaml",
        "kind: ConfigMap\ndata:\n  banner: V2VsY29tZSB0byB0aGUgY2xhaW1zIHNlcnZpY2UsIGhhdmUgYSBuaWNlIGRheQ==\n",
    ),
    (
        "lorem_ipsum",
        "README.md",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Password: see the vault. Secret sauce: none.\n",
    ),
    (
        "aws_doc_pair",
        "docs/aws.md",
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    ),
    (
        "ghp_repeated",
        "ci.yml",
        "GITHUB_TOKEN: ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
    ),
    (
        "example_words",
        "docs/setup.md",
        "api_key: example-api-key-123\npassword: dummy_password_1\ntoken: sample-token-value\n",
    ),
    (
        "yaml_key_then_next_line",
        ".github/workflows/ci.yml",
        "inputs:\n  token:\n    description: 'Token used to publish'\n    required: true\n",
    ),
    (
        "code_identifiers",
        "src/auth.rs",
        "let password = read_password()?;\nlet token = tokens.next().unwrap();\nlet secret_key = derive_key(&salt);\n",
    ),
    (
        "demo_passwords",
        "docker-compose.yml",
        "environment:\n  POSTGRES_PASSWORD: P@ssw0rd!\n  ADMIN_PASSWORD: Admin123!\n  DATABASE_URL: postgres://postgres:postgres@localhost:5432/app\n",
    ),
];

#[test]
fn realistic_snippets_find_the_expected_rules() {
    let mut failures = Vec::new();
    for (name, path, text, want, values) in POSITIVES {
        let got = secret_rules(path, text, values);
        let want: BTreeSet<String> = want.iter().map(|s| (*s).to_owned()).collect();
        if got != want {
            failures.push(format!("{name}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn hard_negatives_find_no_secret() {
    let mut failures = Vec::new();
    for (name, path, text) in NEGATIVES {
        let got = secret_rules(path, text, &[]);
        if !got.is_empty() {
            failures.push(format!("{name}: {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn stripe_test_keys_are_info_and_never_block() {
    let key = "sk_test_OX2tky0I5M0iGnMtVDKDvxEWoOfQqHC2OWvY5JkoyJKmK2oF3huFsCsq8DRYWOcXcjIEdy7lKO5F1Auqf5iR6fREl3H4DH4Bpuv";
    let r = scan(
        "billing/settings.py",
        &format!("STRIPE_SECRET_KEY = \"{key}\"\n"),
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert_no_value(&r.stdout, &[key]);
    let f = &r.json()["findings"][0];
    assert_eq!(f["rule"], "secret.stripe.secret-key");
    assert_eq!(f["severity"], "info");
}

/// A gitleaks configuration as a team would have it: a custom rule with a secret group,
/// entropy, keywords and an allowlist, plus features phiguard cannot honour.
const GITLEAKS: &str = r#"title = "acme gitleaks config"

[extend]
useDefault = true

[allowlist]
description = "global"
paths = ['''(^|/)vendor/''']
stopwords = ["sandbox"]

[[rules]]
id = "acme-api-key"
description = "Acme internal API key"
regex = '''(?i)\b(acme_(?:live|dev)_[a-z0-9]{24})(?:[\s'"`;]|$)'''
secretGroup = 1
entropy = 3.0
keywords = ["acme_live", "acme_dev"]
tags = ["internal"]

[[rules]]
id = "acme-session"
description = "Acme session cookie"
regex = '''acme_session=([a-f0-9]{32})(?=;)'''
keywords = ["acme_session"]

[[rules]]
id = "p12-files"
description = "PKCS#12 files"
path = '''\.p12$'''
"#;

#[test]
fn gitleaks_config_is_imported_with_warnings() {
    let repo = TempRepo::new();
    let key = "acme_live_wlb2ycmjfkm4xndf5d9xc9i9";
    repo.write("gitleaks.toml", GITLEAKS);
    repo.write(
        "app.env",
        format!("ACME_KEY={key}\nACME_SANDBOX=acme_dev_sandbox0000000000000000\n"),
    );
    let r = repo.phiguard(&[
        "scan",
        "app.env",
        "--rules",
        "gitleaks.toml",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(r.rules(), ["gitleaks.acme-api-key"]);
    assert_no_value(&r.stdout, &[key]);
    assert_no_value(&r.stderr, &[key]);
    let err = r.err();
    for needle in [
        "phiguard: warning: gitleaks.toml: [extend] useDefault",
        "global allowlist: allowlist paths is not supported",
        "rule acme-session: skipped: lookaround",
        "rule p12-files: skipped: path-only rules",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in {err}");
    }
}

#[test]
fn gitleaks_config_via_config_import() {
    let repo = TempRepo::new();
    let key = "acme_live_wlb2ycmjfkm4xndf5d9xc9i9";
    repo.write("security/gitleaks.toml", GITLEAKS);
    repo.write(
        ".phiguard.toml",
        "[rules]\nimport = [\"security/gitleaks.toml\"]\n",
    );
    repo.add("svc.yaml", format!("acme:\n  key: {key}\n"));
    let r = repo.phiguard(&["scan", "--staged", "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.rules().contains(&"gitleaks.acme-api-key".to_owned()),
        "{}",
        r.all()
    );
    assert_no_value(&r.stdout, &[key]);
    assert_no_value(&r.stderr, &[key]);
}

#[test]
fn invalid_gitleaks_config_exits_2_naming_the_file() {
    let repo = TempRepo::new();
    repo.write(
        "broken.toml",
        "[[rules]]\ndescription = \"no id\"\nregex = '''abc'''\n",
    );
    repo.write(
        "unterminated.toml",
        "[[rules]]\nid = \"x\"\nregex = '''abc\n",
    );
    repo.write("a.txt", "nothing here\n");
    for file in ["broken.toml", "unterminated.toml"] {
        let r = repo.phiguard(&["scan", "a.txt", "--rules", file]);
        assert_eq!(r.code, 2, "{file}: {}", r.all());
        assert!(r.err().contains(file), "{file}: {}", r.err());
    }
}

/// Shapes from real repositories (issue 23) that read like `password = value` but hold UI
/// text, a setting name, a DOM call or a paging cursor: no secret finding at all.
#[test]
fn translations_setting_names_calls_and_cursors_are_not_secrets() {
    let cases: &[(&str, &str)] = &[
        (
            "api/src/main/resources/messages_fr.properties",
            "install.advanced.admin.password.info=Actuellement, par d\u{e9}faut le mot de passe est <strong>admin:test</strong>.\n",
        ),
        (
            "api/src/main/resources/messages_it.properties",
            "install.advanced.admin.password.info=Attualmente, il nome utente predefinito / password \u{e8} admin\n",
        ),
        (
            "api/src/main/resources/messages_zh_CN.properties",
            "install.testing.password.remote = \u{8fdc}\u{7a0b}\u{7cfb}\u{7edf}\u{7684}\u{5bc6}\u{7801}\n",
        ),
        (
            "api/src/main/java/org/example/Constants.java",
            "public static final String GP_PASSWORD_REQUIRES_MIXED = \"security.passwordRequiresUpperAndLowerCase\";\n",
        ),
        (
            "web/src/main/resources/setup.vm",
            "    var passwordInputContainer = document.getElementById('passwordInputContainer');\n",
        ),
        (
            "TestFiles/ReindexJobRecord.json",
            "{\n  \"continuationToken\": \"kq73Zb0PuWsLgYGOqaGBiamxsaGJkaGBoYGBgYWxaSwAAAD//w==\",\n  \"nextPageToken\": \"Q2p3dFowWkdSemN6TXk5dGRXUXpOWE5qVG5Sb1ZG\"\n}\n",
        ),
    ];
    let mut failures = Vec::new();
    for (path, text) in cases {
        let got = secret_rules(path, text, &[]);
        if !got.is_empty() {
            failures.push(format!("{path}: {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A `test` word in another field of the line (`username="test_user"`) used to drop the
/// password beside it, even with `--strict`.
#[test]
fn password_beside_a_test_user_is_still_found() {
    let text = "<user username=\"test_user\" password=\"Tq8#vLm2Rz9wK4pE\" roles=\"admin\"/>\n";
    let got = secret_rules("conf/users.xml", text, &["Tq8#vLm2Rz9wK4pE"]);
    assert!(got.contains("secret.generic.password"), "{got:?}");
    let json = "{\"user\": \"test\", \"password\": \"Tq8#vLm2Rz9wK4pE\"}\n";
    let got = secret_rules("conf/users.json", json, &["Tq8#vLm2Rz9wK4pE"]);
    assert!(got.contains("secret.generic.password"), "{got:?}");
    // The key itself still says it is fake.
    let fake = "testPassword = \"Tq8#vLm2Rz9wK4pE\"\n";
    assert!(secret_rules("conf/app.conf", fake, &["Tq8#vLm2Rz9wK4pE"]).is_empty());
}

/// jwt.io's sample claims (`"sub": "1234567890"`, `"iat": 1516239022`) in an `.http` file
/// blocked on microsoft/fhir-server: documentation, suppressed unless `--strict`.
#[test]
fn jwt_io_sample_token_is_documentation() {
    // {"alg":"RS256","typ":"JWT"} . {"sub":"1234567890","name":"Fake User","iat":1516239022}
    let token = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkZha2UgVXNlciIsImlhdCI6MTUxNjIzOTAyMn0.Qm9ndXNTaWduYXR1cmVCeXRlc0ZvckFUZXN0T25seTEyMzQ1Njc4OTA";
    let text = format!("POST {{{{host}}}}/connect/introspect\n\ntoken={token}\n");
    assert!(secret_rules("docs/rest/TokenIntrospection.http", &text, &[token]).is_empty());
}

/// A base64-encoded AWS key id in a Kubernetes Secret (gitleaks decodes and finds it): found,
/// the finding covers the encoded text, and neither the encoded nor the decoded value is
/// printed.
#[test]
fn base64_encoded_aws_key_in_a_kubernetes_secret_is_found() {
    // base64 of the generated key id AKIAQZ3XMLV7RT4WPN2H
    let encoded = "QUtJQVFaM1hNTFY3UlQ0V1BOMkg=";
    let text = format!(
        "apiVersion: v1\nkind: Secret\ntype: Opaque\ndata:\n  AWS_ACCESS_KEY_ID: {encoded}\n"
    );
    let r = scan("k8s/aws.yaml", &text);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_no_value(
        &r.stdout,
        &[encoded, "AKIAQZ3XMLV7RT4WPN2H", "QUtJQVFaM1hNTFY3"],
    );
    let findings = r.json()["findings"].as_array().unwrap().clone();
    let f = findings
        .iter()
        .find(|f| f["rule"] == "secret.encoded.base64")
        .unwrap_or_else(|| panic!("{}", r.all()));
    // Columns cover the encoded characters that carry the key id (1-based, end exclusive).
    let col = f["column"].as_u64().unwrap() as usize;
    let end = f["end_column"].as_u64().unwrap() as usize;
    let line = "  AWS_ACCESS_KEY_ID: ";
    assert_eq!(col, line.len() + 1, "{f}");
    assert!(
        end > col + 24 && end <= line.len() + 1 + encoded.len(),
        "{f}"
    );
}

/// Azure connection strings: Service Bus / IoT Hub `SharedAccessKey=` and App Configuration
/// `Secret=` each have a rule of their own.
#[test]
fn azure_shared_access_key_and_app_configuration_secret_are_found() {
    let sb = "Wm5xR0hKc0x2T0p6TVFwYkVjVm1aUjJ5dUZ0a0hZZ0k=";
    let text = format!(
        "{{\"Bus\": \"Endpoint=sb://orders.servicebus.windows.net/;SharedAccessKeyName=Send;SharedAccessKey={sb}\"}}\n"
    );
    let got = secret_rules("appsettings.json", &text, &[sb]);
    assert!(got.contains("secret.azure.shared-access-key"), "{got:?}");
    let ac = "c3VwZXJSYW5kb21WYWx1ZU5vdFJlYWxXcVQ5TW5QcTJMc1Y=";
    let text = format!(
        "APPCFG=Endpoint=https://shop.azconfig.io;Id=Xk2c-l9-s0:Qw8rT2yU6iO0;Secret={ac}\n"
    );
    let got = secret_rules(".env", &text, &[ac]);
    assert!(got.contains("secret.azure.app-configuration"), "{got:?}");
}

/// A provider prefix of at most four letters (`EZAK`, `AKCp`) followed by a lowercase letter
/// failed the short-keyword word-boundary test, so the rule never ran; a keyword written with
/// a capital is a token prefix and needs no boundary.
#[test]
fn token_prefix_keywords_need_no_word_boundary() {
    let got = secret_rules(
        ".env",
        "EASYPOST_API_KEY=EZAKkBOadg7aqeDKtl1rkFBjHZpzEKyjkAgmQBRwGjufbwVmvYuBZw89vJ\n",
        &["EZAKkBOadg7aqeDKtl1rkFBjHZpzEKyjkAgmQBRwGjufbwVmvYuBZw89vJ"],
    );
    assert!(got.contains("secret.easypost.api-key"), "{got:?}");
    let got = secret_rules(
        "ci.yml",
        "  ARTIFACTORY_APIKEY: AKCpqrfFtpJfOuWzDIapWIq4E4vOLpTh3vz0yPF8VjX2wS0JL1r9RyUZtyvHenqyT0TtfeZLL\n",
        &["AKCpqrfFtpJfOuWzDIapWIq4E4vOLpTh3vz0yPF8VjX2wS0JL1r9RyUZtyvHenqyT0TtfeZLL"],
    );
    assert!(got.contains("secret.artifactory.api-key"), "{got:?}");
}

/// A user row of a test dataset (OpenMRS' `standardTestDataset.xml` shape): the password is a
/// salted SHA digest written without its leading zeros (38 or 39 hex digits), a stored hash
/// that warns; the same hex value with no salt beside it still blocks.
#[test]
fn a_salted_stored_password_hash_warns_and_an_unsalted_hex_password_blocks() {
    let hash = "3f1b2d9a47c05e6b8f2a1d4c7e9b05a3f6d28c1";
    let salt = "bb15696c7e04a7554e51eaa27fdb435695faf0";
    let row = format!(
        "<users user_id=\"2\" system_id=\"1121-3\" username=\"cwilliam\" password=\"{hash}\" \
         salt=\"{salt}\" secret_question=\"q\"/>\n"
    );
    let severities =
        |path: &str, text: &str| severities(path, text, Some("secret.generic.password"), &[hash]);
    let path = "api/src/test/resources/org/openmrs/include/standardTestDataset.xml";
    assert_eq!(severities(path, &row), ["warn"]);
    let bare = format!("<users username=\"cwilliam\" password=\"{hash}\"/>\n");
    assert_eq!(severities("conf/users.xml", &bare), ["block"]);
    // A digest edited by hand so that it cannot match (OpenMRS' upgrade fixtures) is still a
    // stored hash beside its salt; a token with many non-hex letters is not.
    let edited = row.replace(hash, "rr1b2d9a47c05e6b8f2a1d4c7e9b05a3f6d28c1");
    assert_eq!(severities(path, &edited), ["warn"]);
    let token = row.replace(hash, "Zq8RtW2mXkP9vL4nJs7YhB3cFg6DaE1uQo5iTy0");
    assert_eq!(severities("conf/users.xml", &token), ["block"]);
}

/// A UUID assigned to a name that can only mean a credential (legacy npm tokens, many SaaS
/// keys are UUIDs) warns; the same UUID as an id, a CSRF token or the RFC 4122 example
/// UUID is no finding, and a plain `*_key` UUID (a lookup key as often as not) neither.
#[test]
fn a_uuid_under_a_credential_name_warns_and_an_identifier_does_not() {
    let uuid = "4f0c2b9e-8d17-4a63-b5e2-9c7d1f3a6e08";
    let severities = |text: &str| severities("deploy/settings.env", text, None, &[uuid]);
    for named in [
        format!("NPM_TOKEN={uuid}\n"),
        format!("WISE_API_SECRET=\"{uuid}\"\n"),
        format!("interseller_PRIVATE_KEY={uuid}\n"),
    ] {
        assert_eq!(severities(&named), ["warn"], "{named}");
    }
    for not_a_credential in [
        format!("SESSION_TOKEN_ID={uuid}\n"),
        format!("csrf_token=\"{uuid}\"\n"),
        format!("cache_key={uuid}\n"),
        "NPM_TOKEN=123e4567-e89b-12d3-a456-426614174000\n".to_owned(),
    ] {
        assert!(
            severities(&not_a_credential).is_empty(),
            "{not_a_credential}"
        );
    }
}

/// A credential-named value with a typed run in it (`abcdef0123…`) was dropped as a stand-in;
/// it now warns — never blocks — while a value of one repeated character or a template stays
/// no finding.
#[test]
fn a_typed_run_under_a_credential_name_warns_and_never_blocks() {
    let severities = |text: &str| severities("config/app.env", text, None, &[]);
    for typed in [
        "weatherstack_key=a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6\n",
        "travelpayouts_token = abcdef0123456789abcdef0123456789\n",
        "VIRUSTOTAL_API_KEY=\"1234567890abcdef1234567890abcdef\"\n",
    ] {
        assert_eq!(severities(typed), ["warn"], "{typed}");
    }
    for placeholder in [
        "API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
        "API_TOKEN=${API_TOKEN}\n",
        "api_key = \"your-api-key-here\"\n",
    ] {
        assert!(severities(placeholder).is_empty(), "{placeholder}");
    }
}

/// A provider-prefixed token whose body holds a typed run (`dop_v1_1234567890abcdef…`) was
/// dropped as a placeholder; it now warns, while a body of `x`s or one repeated character is
/// still no finding.
#[test]
fn a_prefixed_token_with_a_typed_run_warns_and_a_stand_in_does_not() {
    let severities = |text: &str| severities("deploy/do.env", text, None, &[]);
    let typed = format!(
        "DIGITALOCEAN_TOKEN=dop_v1_{}\n",
        "1234567890abcdef".repeat(4)
    );
    assert_eq!(severities(&typed), ["warn"], "{typed}");
    for stand_in in [
        format!("DIGITALOCEAN_TOKEN=dop_v1_{}\n", "x".repeat(64)),
        format!("DIGITALOCEAN_TOKEN=dop_v1_{}\n", "0".repeat(64)),
    ] {
        assert!(severities(&stand_in).is_empty(), "{stand_in}");
    }
}

/// gitleaks' and other scanners' test tokens are random strings with no valid checksum: such
/// a token is still reported (a warning: cut, retyped or made up), a matching checksum
/// blocks, and a stand-in is still no finding. A refresh token (`ghr_`, 76 characters) is found.
#[test]
fn a_github_token_whose_checksum_does_not_match_warns() {
    let rule = Some("secret.github-token");
    let valid = "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";
    let forged = "ghp_XIxB7KMNdAr3zqWtQqhE94qglHqOzn1D1stg";
    let text = |v: &str| format!("GITHUB_TOKEN={v}\n");
    assert_eq!(severities(".env", &text(valid), rule, &[valid]), ["block"]);
    assert_eq!(severities(".env", &text(forged), rule, &[forged]), ["warn"]);
    for stand_in in [
        "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "ghp_1234567890abcdefghijklmnopqrstuvwxyz",
    ] {
        assert!(
            severities(".env", &text(stand_in), rule, &[]).is_empty(),
            "{stand_in}"
        );
    }
    let refresh =
        "ghr_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dKLzdocJ2isAjIhKtJ0RlgLKOmxgJTeKdNnFRIBXu";
    let json = format!("{{\"refresh_token\": \"{refresh}\"}}\n");
    assert_eq!(severities("auth.json", &json, rule, &[refresh]), ["block"]);
}

/// The assignment shapes of gitleaks' sample templates (Go `var x string =` and `:=` with a
/// backtick literal, PHP `.=`, Make `::=` and `?=`, `System.setProperty`, a JSON string
/// holding an escaped newline after the value, an XML element over three lines) each find a
/// credential-named literal, as `=` does.
#[test]
fn a_credential_literal_is_found_in_every_assignment_shape() {
    let cases = [
        (
            "pkg/client.go",
            "var paymentToken string = \"f8mjVt1fVltfw6U793QEIyyGzuU8BIXO\"\n",
            "f8mjVt1fVltfw6U793QEIyyGzuU8BIXO",
        ),
        (
            "pkg/client.go",
            "paymentToken := `cOqc9oGTaKD1odyofGPVBmoWnAktv1ag`\n",
            "cOqc9oGTaKD1odyofGPVBmoWnAktv1ag",
        ),
        (
            "lib/pay.php",
            "$paymentToken .= \"07AtuxNmpDl1kotJkCntOi0STA0ELMVg\";\n",
            "07AtuxNmpDl1kotJkCntOi0STA0ELMVg",
        ),
        (
            "Makefile",
            "PAYMENT_TOKEN ::= \"z0Q5fqd0SSqturifMAYCFFeEqJwhrozJ\"\n",
            "z0Q5fqd0SSqturifMAYCFFeEqJwhrozJ",
        ),
        (
            "Makefile",
            "PAYMENT_TOKEN ?= \"BELlOrdpZOUw1AuTwJ5OacwTQmFuEHs8\"\n",
            "BELlOrdpZOUw1AuTwJ5OacwTQmFuEHs8",
        ),
        (
            "src/Setup.java",
            "System.setProperty(\"PAYMENT_TOKEN\", \"HzrPFnQ82plInRSwCLPFaSdJgMGqlEnP\");\n",
            "HzrPFnQ82plInRSwCLPFaSdJgMGqlEnP",
        ),
        (
            "conf.json",
            "{\"config.ini\": \"PAYMENT_TOKEN=QA8hBms33nYGbTOoEZKEN8XnYBbxCrfB\\nBACKUP=true\"}\n",
            "QA8hBms33nYGbTOoEZKEN8XnYBbxCrfB",
        ),
        (
            "conf.xml",
            "<paymentToken>\n    wBJz30ued1WiBjbfWIUdPY0TrV1Sxd2P\n</paymentToken>\n",
            "wBJz30ued1WiBjbfWIUdPY0TrV1Sxd2P",
        ),
    ];
    for (path, text, value) in cases {
        let found = secret_rules(path, text, &[value]);
        assert!(!found.is_empty(), "{path}: {text}");
    }
}

/// A provider's test-mode key (`duffel_test_…`) reaches only a sandbox: reported at `info`
/// like Stripe's, where the word `test` used to make it a stand-in and no finding. A
/// base64-encoded JWT (`ZXlK…`, a Kubernetes secret's data) is found through the decoder.
#[test]
fn a_test_mode_key_is_info_and_a_base64_encoded_jwt_is_found() {
    let duffel = "duffel_test_VhedeKM0LKgEt0VsnX68728NzUb2ljvEUwEbXiqUELH";
    let text = format!("DUFFEL_API_TOKEN={duffel}\n");
    assert_eq!(
        severities(".env", &text, Some("secret.duffel.api-token"), &[duffel]),
        ["info"]
    );
    let encoded = "ZXlKaGJHY2lPaUpTVXpJMU5pSXNJblI1Y0NJNklrcFhWQ0o5LmV5SnpkV0lpT2lKbGRHd3RjblZ1Ym1WeUlpd2lZWFZrSWpvaVkyeGhhVzF6SW4wLmkxRWM1a2VUMmIwQ0h0cktJaVk4Y09wbmZNakR3bDk1R2RrV2lzX1llUTE=";
    let text = format!("apiVersion: v1\nkind: Secret\ndata:\n  SERVICE_JWT: {encoded}\n");
    assert_eq!(
        secret_rules("k8s/secret.yaml", &text, &[encoded]),
        BTreeSet::from(["secret.encoded.base64".to_owned()])
    );
}
