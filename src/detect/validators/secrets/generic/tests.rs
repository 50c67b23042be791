use super::*;

#[test]
fn placeholder_table() {
    let cases: &[(&str, bool)] = &[
        ("${DB_PASSWORD}", true),
        ("{{ .Values.password }}", true),
        ("%s", true),
        ("user-%s-key", true),
        ("I2oaL8zmJ%s6Lruf", false),
        ("8cgQluxO%SERydv", false),
        ("<your-password>", true),
        ("changeme", true),
        ("CHANGEME", true),
        ("password", true),
        ("xxxxxxxxxxxx", true),
        ("************", true),
        ("os.environ['DB_PASS']", true),
        ("process.env.API_KEY", true),
        ("System.getenv(\"PW\")", true),
        ("ENV['SECRET']", true),
        ("!Ref DbPassword", true),
        ("secretKeyRef", true),
        ("/run/secrets/db_password", true),
        ("./certs/client.key", true),
        ("your_api_key_here", true),
        ("my-test-secret", true),
        ("550e8400-e29b-41d4-a716-446655440000", true),
        ("__DB_PASSWORD__", true),
        ("$DB_PASSWORD", true),
        ("", true),
        ("P@ssw0rd!", true),
        ("Cl1ent$ecret!", true),
        ("adminpass123", true),
        ("[specify", true),
        ("(none)", true),
        ("Qm7vR2xK9pLw4Tz", false),
        ("CrysI4*df8Kwc", false),
        ("h7Fk2LmQ9xZr", false),
    ];
    for (v, want) in cases {
        assert_eq!(is_placeholder(v.as_bytes()), *want, "{v}");
    }
}

#[test]
fn grade_table() {
    let cases: &[(&str, Option<Severity>)] = &[
        ("Qm7vR2xK9pLw4Tz", Some(Severity::Block)),
        ("CrysI4*df8Kwc", Some(Severity::Block)),
        ("9f86d081884c7d659a2feaa0c55ad015", Some(Severity::Block)),
        ("kitten427", Some(Severity::Warn)),
        ("abcdefgh", None),
        ("short1A", None),
        ("aaaaaaaa11", None),
    ];
    for (v, want) in cases {
        assert_eq!(grade(v.as_bytes()), *want, "{v}");
    }
}

#[test]
fn code_like_table() {
    let cases: &[(&str, bool)] = &[
        ("config.db.password", true),
        ("getPassword()", true),
        ("DB_PASSWORD", true),
        ("dbPassword", true),
        ("Qm7vR2xK9pLw4Tz", false),
        ("s3cr3t-Value!", false),
        ("jwtDecode(tokenResponse.access_token,", true),
        ("this.client.request(url", true),
        ("Qm7vR2xK9pLw4Tz(", false),
        ("Qm7vR2xK9(pLw4Tz", false),
        ("(Qm7vR2xK9pLw4Tz", false),
        ("rawtokens[i];curline=lines;newlines=token.match(/", true),
        ("Qm7v;R2x=K9pLw4Tz", false),
        // A type in a signature the value ran into: `privateKey: CryptoKey, header: any`.
        ("CryptoKey,", true),
        ("Qm7vR2xK9pLw4Tz,", false),
    ];
    for (v, want) in cases {
        assert_eq!(is_code_like(v.as_bytes()), *want, "{v}");
    }
}

#[test]
fn meta_key_table() {
    let cases: &[(&str, bool)] = &[
        ("password_hash", true),
        ("token_url", true),
        ("secret_name", true),
        ("PASSWORD_MIN_LENGTH", true),
        ("csrf-token", true),
        ("_xsrf_token", true),
        ("db.password", false),
        ("client_secret", false),
        ("AWS_SECRET_ACCESS_KEY", false),
        ("dummyClientSecret", true),
        ("hcloudTestToken", true),
        ("AzureFederatedTokenFileEnvVar", true),
        ("secretName", true),
        ("clientSecret", false),
    ];
    for (k, want) in cases {
        assert_eq!(is_meta_key(k.as_bytes()), *want, "{k}");
    }
}

#[test]
fn uuid_and_run_table() {
    assert!(is_uuid(b"123e4567-e89b-12d3-a456-426614174000"));
    assert!(!is_uuid(b"123e4567-e89b-12d3-a456-42661417400"));
    assert!(!is_uuid(b"Qm7vR2xK9pLw4Tz"));
    assert_eq!(longest_run(b"abbbbc"), 4);
    assert_eq!(longest_run(b""), 0);
}

#[test]
fn wordy_and_sequence_table() {
    let cases: &[(&str, bool, bool)] = &[
        ("crates-io-token", true, false),
        ("realToken", true, false),
        ("AZURE_FEDERATED_TOKEN_FILE", true, false),
        ("A1B2C3D4E5F6G7H8I9J0", false, true),
        ("abcdef99", false, true),
        ("Qm7vR2xK9pLw4Tz", false, false),
        ("hFqLzRkWmBvTyPcXnJdS", false, false),
    ];
    for (v, wordy, seq) in cases {
        assert_eq!(is_wordy(v.as_bytes()), *wordy, "wordy {v}");
        assert_eq!(is_sequence(v.as_bytes()), *seq, "sequence {v}");
    }
}

#[test]
fn hash_and_encoding_table() {
    let cases: &[(&str, bool, bool)] = &[
        // (value, hash format, encoded non-secret)
        (
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            true,
            false,
        ),
        ("{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", true, false),
        ("pbkdf2_sha256$600000$abc$def", true, false),
        ("c2VjcmV0", false, true),                 // "secret"
        ("dGhpcyBpcyBub3QgYSBrZXk=", false, true), // "this is not a key"
        ("Qm7vR2xK9pLw4TzA", false, false),
    ];
    for (v, hash, encoded) in cases {
        assert_eq!(is_hash_format(v.as_bytes()), *hash, "hash {v}");
        assert_eq!(is_encoded_non_secret(v.as_bytes()), *encoded, "encoded {v}");
    }
    assert!(is_hex_digest(b"5f4dcc3b5aa765d61d8327deb882cf99"));
    assert!(!is_hex_digest(b"5f4dcc3b5aa765d61d8327deb882cf9"));
}

#[test]
fn setting_names_are_not_secrets() {
    let cases: &[(&str, bool)] = &[
        ("security.passwordRequiresUpperAndLowerCase", true),
        ("app.auth.tokenSigningAlgorithm", true),
        ("password_reset_url_template", true),
        ("hFqLzRkWmBvTyPcXnJdS", false),
        ("Qm7vR2xK9pLw4Tz", false),
        ("aBcDeFgHiJkLmNoP", false),
    ];
    for (v, want) in cases {
        assert_eq!(is_setting_name(v.as_bytes()), *want, "{v}");
    }
}

#[test]
fn method_calls_are_code() {
    assert!(is_code_like(b"document.getElementById("));
    assert!(is_code_like(b"window.prompt("));
    assert!(!is_code_like(b"Qm7vR2xK9pLw4Tz("));
}

#[test]
fn paging_cursor_and_bundle_keys_are_meta() {
    for k in [
        "continuationToken",
        "nextPageToken",
        "next_page_token",
        "cursor_token",
        "install.advanced.admin.password.info",
    ] {
        assert!(is_meta_key(k.as_bytes()), "{k}");
    }
    for k in [
        "NEXT_AUTH_SECRET",
        "PAGE_ACCESS_TOKEN",
        "REMOTE_PASSWORD",
        "INPUT_TOKEN",
    ] {
        assert!(!is_meta_key(k.as_bytes()), "{k}");
    }
}

#[test]
fn translation_paths() {
    for p in [
        "api/src/main/resources/messages_fr.properties",
        "messages.properties",
        "web/locales/de.json",
        "po/fr.po",
    ] {
        assert!(is_translation_path(p), "{p}");
    }
    for p in [
        "src/main/resources/application.properties",
        ".env",
        "config/app.yml",
    ] {
        assert!(!is_translation_path(p), "{p}");
    }
}

#[test]
fn token_mix_and_word_chains() {
    assert!(is_token_mix(b"nW3ZCaMb9Sxh1dLTgqUvRk7Yp0eJfo2HiA5rBtD6"));
    assert!(is_token_mix(b"3f9c1a7e5b2d8046c1e9a7b3d5f2c8e4"));
    assert!(!is_token_mix(b"account_id_and_region_code"));
    assert!(!is_token_mix(b"3f9c1a7e5b2d8046"));
    assert!(is_word_chain(b"oauth2-client-credentials-flow"));
    assert!(is_word_chain(b"users.by_email.v2"));
    assert!(is_word_chain(b"ca.uhn.hl7v2.llp.charset"));
    assert!(is_word_chain(b"google.fhir.r4.testing-1"));
    assert!(!is_word_chain(b"x.1234.5678.9012"));
    assert!(!is_word_chain(b"Zr4nP8wK-2vB6xM1q-T9sL3dH7"));
}

#[test]
fn versioned_names_and_encrypted_values_are_not_secrets() {
    let table: &[(&[u8], bool)] = &[
        (b"jjwt-jackson-0.11.2", true),
        (b"spring-core-5.3.9.RELEASE", true),
        (b"commons_lang-3.12", true),
        (b"commons_lang3-3.12", false),
        (b"jjwt-jackson-0.11", true),
        (b"jjwt-jackson-11", false),
        (b"Jx7-kLm2Q-0.11.2", false),
        (b"a9f3kq0z-1.2", false),
        (b"token-", false),
    ];
    for &(v, want) in table {
        assert_eq!(is_versioned_name(v), want, "{}", String::from_utf8_lossy(v));
    }
    for (v, want) in [
        (
            "ENC[AES256_GCM,data:O+5l4g==,iv:c/dS4BCB,tag:Kk==,type:str]",
            true,
        ),
        ("ENC(G6N718UuyPE5bHyWKyuLQSm02auQPUtm)", true),
        ("ENC(x)", false),
        ("ENCRYPTED-e0zKg3Cg5y", false),
    ] {
        assert_eq!(is_placeholder(v.as_bytes()), want, "{v}");
    }
}
