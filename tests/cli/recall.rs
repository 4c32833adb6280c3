//! Recall: copies of our edition, each with one seeded defect, each raising that rule (and only
//! the rules the defect inherently implies, listed beside it).

use crate::support::{Sandbox, root};

/// (rules expected, text to find in `runbook/publication.md`, replacement, extra arguments)
const SEEDS: &[(&[&str], &str, &str, &[&str])] = &[
    (
        &["RB100"],
        "```bash {kind=command id=restart-app}",
        "<!-- runbook: allow RB401 -->\n```bash {kind=command id=restart-app}",
        &[],
    ),
    (
        &["RB101"],
        "   The JSON looks like this (secrets redacted):\n   ```json {kind=output of=service-key}",
        "   The output will look like this (secrets redacted):\n   ```bash",
        &[],
    ),
    (
        &["RB102"],
        "3. Add one approval job for each environment:\n   ```yaml {kind=workflow}",
        "3. Add one approval job for each environment:\n   ```",
        &[],
    ),
    (&["RB103"], "(#read-the-bucket-from-python) copies", "(#read-bucket-from-python) copies", &[]),
    (&["RB104"], "- [Set up alerts](#set-up-alerts)\n", "", &[]),
    (&["RB105"], "## Set up logging\n", "## Set up logging\n\n![Log flow](images/log-flow.png)\n", &[]),
    (&["RB106"], "8. Target the organisation", "9. Target the organisation", &[]),
    (
        &["RB190"],
        "cf push APP_NAME --strategy rolling --no-route\n    ```",
        "cf push APP_NAME --strategy rolling --no-route\n",
        &[],
    ),
    (&["RB201"], "cf target -o ORG_NAME -s SPACE_NAME", "cf target -o ORG_NAME -s <TEAM_SPACE>", &[]),
    (&["RB202"], "## Glossary\n\n", "## Glossary\n\nUNUSED_THING = Nothing uses this.\n\n", &[]),
    (&["RB203"], "cf create-route DOMAIN --hostname HOSTNAME", "cf create-route <DOMAIN> --hostname HOSTNAME", &[]),
    (&["RB203", "RB204"], "cf create-space SPACE_NAME -o ORG_NAME", "cf create-space <SPACE NAME> -o ORG_NAME", &[]),
    (&["RB205"], "cf push APP_NAME --strategy rolling\n", "cf push APP_NAEM --strategy rolling\n", &[]),
    (
        &["RB206", "RB207"],
        "cf delete-service-key SERVICE_NAME SERVICE_KEY -f",
        "cf delete-service-key ROUTE_SERVICE_NAME SERVICE_KEY -f",
        &[],
    ),
    (&["RB208"], "", "", &["--set", "STAGING_BUCKET=Staging..Bucket"]),
    (&["RB209"], "id=create-space when=CREATE_SPACE", "id=create-space when=MAKE_SPACE", &[]),
    (&["RB210"], "kind: cf-org-name", "kind: cf-organisation", &[]),
    (&["RB301"], "   {\"allow_external_access\": true}\n   ```", "   {\"allow_external_access\": true,}\n   ```", &[]),
    (&["RB302"], "memory: 2GB", "memory: 2 gigs", &[]),
    (&["RB303"], "needs: [tech_approval, product_approval]", "needs: [tech_aproval, product_approval]", &[]),
    (&["RB304"], "       environment: GITHUB_ENVIRONMENT\n", "", &[]),
    (
        &["RB305"],
        "runs-on: ubuntu-24.04\n       environment: TECH_ENVIRONMENT",
        "runs-on: ubuntu-20.04\n       environment: TECH_ENVIRONMENT",
        &[],
    ),
    // A literal secret in a workflow is also a hard-coded credential.
    (
        &["RB306", "RB501"],
        "AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }}",
        "AWS_SECRET_ACCESS_KEY: plain-text-value-000",
        &[],
    ),
    (&["RB307"], "   {\"permissions\": \"read-only\"}\n   ```", "   {\"permissions\": \"read-write\"}\n   ```", &[]),
    (&["RB401"], "cf service SERVICE_NAME", "cf servce SERVICE_NAME", &[]),
    (&["RB402"], "cf env APP_NAME\n", "cf env APP_NAME SPACE_NAME\n", &[]),
    (&["RB403"], "cf restart APP_NAME --strategy rolling", "cf restart APP_NAME --stratgy rolling", &[]),
    (&["RB404"], "-c '{\"permissions\": \"read-only\"}'", "-c `{\"permissions\": \"read-only\"}`", &[]),
    (
        &["RB405"],
        "cf create-service aws-s3-bucket default SERVICE_NAME",
        "cf create-service aws-s3-bucket default 'SERVICE_NAME",
        &[],
    ),
    (&["RB406"], "cf restart APP_NAME --strategy rolling", "cf restart APP_NAME --strategy rolling |", &[]),
    (
        &["RB501"],
        "python3 -m pip install boto3 pandas",
        "export GITHUB_TOKEN=ghp_0123456789abcdefghijklmnopqrstuvwxyz\npython3 -m pip install boto3 pandas",
        &[],
    ),
    (
        &["RB502"],
        "print(f\"Read {len(df)} rows from {object_key}\")",
        "print(os.environ[\"AWS_SECRET_ACCESS_KEY\"])",
        &[],
    ),
    (&["RB503"], "cf login -a API_URL -u USERNAME", "cf login -a API_URL -u USERNAME -p \"$CF_PASSWORD\"", &[]),
    (
        &["RB504"],
        "       command: gunicorn run:server\n",
        "       command: gunicorn run:server\n       env:\n         DB_PASSWORD: DATA_FILE\n",
        &[],
    ),
    (&["RB505"], "cf delete-service-key SERVICE_NAME SERVICE_KEY -f", "cf service-key SERVICE_NAME SERVICE_KEY", &[]),
    (&["RB601"], "import os\n\nimport boto3", "import os\n\n  import boto3", &[]),
    (&["RB602"], "bucket_name = os.environ[\"BUCKET_NAME\"]", "bucket_name = os.environ(\"BUCKET_NAME\")", &[]),
    (&["RB603"], "import pandas as pd\n", "", &[]),
    (
        &["RB604"],
        "bucket.upload_file(Filename=local_file, Key=object_key)",
        "bucket.upload_file(filename=local_file, Key=object_key)",
        &[],
    ),
    (&["RB605"], "Open the bucket.", "Open the bucket with `s3.Bucket('name)`.", &[]),
    (
        &["RB606"],
        "<!-- runbook: id=service-key -->\n",
        "```python {kind=code id=peek}\nimport os\nprint(len(os.environ[\"BUCKET_NAME\"]))\n```\n\n<!-- runbook: id=service-key -->\n",
        &[],
    ),
];

#[test]
fn every_seeded_defect_raises_its_rule() {
    let original = std::fs::read_to_string(root().join("runbook/publication.md")).unwrap();
    let example = std::fs::read_to_string(root().join("runbook/example.env")).unwrap();
    let mut covered = std::collections::BTreeSet::new();
    let mut wrong = Vec::new();
    for (rules, find, replace, args) in SEEDS {
        assert!(original.contains(find), "seed for {rules:?}: `{find}` is not in our edition");
        let seeded = if find.is_empty() { original.clone() } else { original.replacen(find, replace, 1) };
        let sb = Sandbox::new();
        sb.write("publication.md", &seeded);
        sb.write("example.env", &example);
        let mut all = vec!["check", "publication.md", "--vars", "example.env", "--format", "json"];
        all.extend_from_slice(args);
        let out = sb.runbook(&all).output().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{rules:?}: {e}"));
        let mut got: Vec<String> =
            json["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect();
        got.sort();
        got.dedup();
        let want: Vec<String> = rules.iter().map(|r| (*r).to_string()).collect();
        if got != want {
            wrong.push(format!("seeded {want:?}, raised {got:?}"));
        }
        covered.extend(want);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let out = crate::support::runbook().arg("rules").output().unwrap();
    let all_rules: std::collections::BTreeSet<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(covered, all_rules, "every rule has a seeded defect");
}
