"""``Service(..., site=sparta.S3Site(...))`` through ``sparta build``: the site's own
deterministic zip, the template (cfn-lint clean, exact resources, scoped IAM), and one
``error:`` line for every definition or validation mistake."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import EXAMPLES, Cli

PYPROJECT = '[project]\nname = "web"\nversion = "0"\n[tool.sparta]\nservice = "service:service"\n'
SITE_FILES = {
    "site/index.html": "<h1>hi</h1>\n",
    "site/css/site.css": "body {}\n",
    "site/.well-known/security.txt": "Contact: mailto:a@example.com\n",
    "site/.DS_Store": "litter",
    "site/drafts/wip.html": "<p>not yet</p>\n",
}


def service_source(site: str) -> str:
    return f'''
import sparta_core as sparta

service = sparta.Service("web", site={site})


@service.function()
def hello(event, context):
    return "hi"
'''


def project(make_project, site: str = 'sparta.S3Site("site/")', **extra: str) -> Path:
    files = {"pyproject.toml": PYPROJECT, "service.py": service_source(site), **SITE_FILES}
    files.update(extra)
    return make_project(files)


def template_of(root: Path) -> dict[str, Any]:
    return json.loads((root / ".sparta" / "web-template.json").read_text())


@pytest.fixture
def site_example(tmp_path: Path) -> Path:
    target = tmp_path / "site"
    shutil.copytree(EXAMPLES / "site", target, ignore=shutil.ignore_patterns(".sparta"))
    return target


def test_example_builds_a_site_zip_and_a_lint_clean_template(cli: Cli, site_example, cfn_lint):
    result = cli("build", project=site_example)
    site_zip = site_example / ".sparta" / "sitedemo-site.zip"
    assert "site      " in result.output and "/.sparta/sitedemo-site.zip  " in result.output
    assert zipfile.ZipFile(site_zip).namelist() == ["css/site.css", "error.html", "index.html"]
    # The site is not code: it stays out of the functions' archive.
    code = zipfile.ZipFile(site_example / ".sparta" / "sitedemo-code.zip").namelist()
    assert not [name for name in code if name.startswith("site/")]
    assert "service.py" in code and "sparta_runtime/s3_site.py" in code

    path = site_example / ".sparta" / "sitedemo-template.json"
    assert cfn_lint(path) == []
    template = json.loads(path.read_text())
    resources = template["Resources"]
    assert sorted(resources) == [
        "HelloFunction", "HelloLogGroup", "HelloRole",
        "SiteBucket", "SiteBucketPolicy", "SiteContents",
        "SpartaS3SiteProvider", "SpartaS3SiteProviderLogGroup", "SpartaS3SiteProviderRole",
    ]
    bucket = resources["SiteBucket"]["Properties"]
    assert bucket["WebsiteConfiguration"] == {"IndexDocument": "index.html",
                                              "ErrorDocument": "error.html"}
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    policy = resources["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert policy == [{
        "Sid": "PublicReadForWebsite", "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::",
                                       {"Ref": "SiteBucket"}, "/*"]]},
    }]

    contents = resources["SiteContents"]
    assert contents["Type"] == "Custom::SpartaS3Site"
    assert contents["DependsOn"] == ["SiteBucketPolicy"]
    properties = contents["Properties"]
    digest = json.loads((site_example / ".sparta" / ".sitedemo-site.zip.json").read_text())
    assert properties["SourceKey"] == f"sitedemo/{digest['sha256']}.zip"
    assert properties["SourceBucket"] == {"Ref": "ArtifactBucket"}
    assert properties["Bucket"] == {"Ref": "SiteBucket"}
    assert properties["CacheControl"] == [{"Pattern": "*.html", "Value": "no-cache"},
                                          {"Pattern": "*", "Value": "max-age=300"}]
    assert properties["Config"] == {"stack": {"Ref": "AWS::StackName"},
                                    "region": {"Ref": "AWS::Region"}}
    assert properties["ConfigFile"] == "sparta-config.json"
    provider = resources["SpartaS3SiteProvider"]["Properties"]
    assert provider["Handler"] == "sparta_runtime.s3_site.handler"

    # The provider may read the one site zip, and write only in the site's bucket.
    role = resources["SpartaS3SiteProviderRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    site_arn = ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "SiteBucket"}]
    assert statements[1:] == [
        {"Effect": "Allow", "Action": "s3:GetObject",
         "Resource": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::",
                                        {"Ref": "ArtifactBucket"},
                                        "/" + properties["SourceKey"]]]}},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": {"Fn::Join": ["", site_arn]}},
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"],
         "Resource": {"Fn::Join": ["", [*site_arn, "/*"]]}},
    ]
    assert statements[0]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert template["Outputs"]["SiteURL"]["Value"] == {"Fn::GetAtt": ["SiteBucket", "WebsiteURL"]}
    assert template["Outputs"]["SiteBucketName"]["Value"] == {"Ref": "SiteBucket"}


def test_site_zip_is_byte_identical_across_builds_and_copies(cli: Cli, make_project, tmp_path):
    first = project(make_project)
    cli("build", project=first)
    zipped = (first / ".sparta" / "web-site.zip").read_bytes()
    # A fresh copy, with other file times, builds the same bytes.
    second = tmp_path / "copy"
    shutil.copytree(first, second, ignore=shutil.ignore_patterns(".sparta"))
    for path in (second / "site").rglob("*"):
        if path.is_file():
            path.touch()
    cli("build", project=second)
    assert (second / ".sparta" / "web-site.zip").read_bytes() == zipped
    # A changed file changes the zip, and with it the key the template names.
    (second / "site" / "index.html").write_text("<h1>changed</h1>\n")
    cli("build", project=second)
    assert (second / ".sparta" / "web-site.zip").read_bytes() != zipped
    assert template_of(second)["Resources"]["SiteContents"]["Properties"]["SourceKey"] != (
        template_of(first)["Resources"]["SiteContents"]["Properties"]["SourceKey"])


def test_site_zip_keeps_hidden_paths_and_leaves_out_litter_and_excludes(cli, make_project):
    root = project(make_project, 'sparta.S3Site("site", exclude=["drafts/"])',
                   **{"site/.env": "TOKEN=1\n", "site/keys/server.pem": "-----\n"})
    cli("build", project=root)
    names = zipfile.ZipFile(root / ".sparta" / "web-site.zip").namelist()
    assert names == [".well-known/security.txt", "css/site.css", "index.html"]


def test_private_site_has_no_website_and_blocks_public_access(cli, make_project, cfn_lint):
    root = project(make_project, 'sparta.S3Site("site/", public=False, bucket_name="web-assets-1")',
                   **{"pyproject.toml": PYPROJECT + 's3-bucket = "my-artifacts"\n'})
    cli("build", project=root)
    assert cfn_lint(root / ".sparta" / "web-template.json") == []
    template = template_of(root)
    resources = template["Resources"]
    assert "SiteBucketPolicy" not in resources
    bucket = resources["SiteBucket"]["Properties"]
    assert "WebsiteConfiguration" not in bucket
    assert bucket["BucketName"] == "web-assets-1"
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert "DependsOn" not in resources["SiteContents"]
    assert resources["SiteContents"]["Properties"]["SourceBucket"] == "my-artifacts"
    assert "Parameters" not in template or "ArtifactBucket" not in template["Parameters"]
    assert sorted(template["Outputs"]) == ["HelloFunctionArn", "SiteBucketName"]


def test_without_a_site_nothing_of_it_is_built(cli, hello_project):
    cli("build", project=hello_project)
    assert not (hello_project / ".sparta" / "hello-site.zip").exists()
    template = json.loads((hello_project / ".sparta" / "hello-template.json").read_text())
    assert not [rid for rid in template["Resources"] if "Site" in rid]


@pytest.mark.parametrize(
    ("site", "files", "message"),
    [
        ('sparta.S3Site("/var/www")', {}, "S3Site('/var/www'): the directory must be relative"),
        ('sparta.S3Site("../www")', {}, "the directory must be inside the project (no '..')"),
        ('sparta.S3Site(".")', {}, "the site must be a folder inside the project"),
        ('sparta.S3Site(3)', {}, "S3Site(3): the directory must be a path relative"),
        ('sparta.S3Site("site", index_document="../x.html")', {}, "index_document must be"),
        ('sparta.S3Site("site", bucket_name="My_Bucket")', {}, "bucket_name 'My_Bucket' is not"),
        ('sparta.S3Site("site", cache_control=5)', {}, "cache_control must be a header value"),
        ('sparta.S3Site("site", config=[1])', {}, "config must be a mapping"),
        ('sparta.S3Site("www")', {}, "S3Site('www'): there is no folder www/ in the project"),
        ('sparta.S3Site("site", index_document="home.html")', {},
         "index_document 'home.html' is not a file of site/"),
        ('sparta.S3Site("site", error_document="404.html")', {},
         "error_document '404.html' is not a file of site/"),
        ('sparta.S3Site("site", config={"a": 1})', {"site/sparta-config.json": "{}"},
         "site/sparta-config.json is a file of the site"),
        ('"site/"', {}, "service 'web': site must be a sparta.S3Site, got str"),
    ],
)
def test_site_mistakes_are_one_error_line(cli, make_project, site, files, message):
    root = project(make_project, site, **files)
    result = cli("build", project=root, ok=False)
    assert result.exit_code != 0
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], result.output
    assert not (root / ".sparta" / "web-site.zip").exists()


def test_a_resource_named_like_the_sites_is_a_collision(cli, make_project):
    source = service_source('sparta.S3Site("site")') + (
        '\nservice.resource("SiteBucket", "AWS::S3::Bucket")\n')
    root = make_project({"pyproject.toml": PYPROJECT, "service.py": source, **SITE_FILES})
    result = cli("build", project=root, ok=False)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0] == ("error: logical ID 'SiteBucket' is added by S3Site('site') but "
                         "already belongs to service.resource('SiteBucket')")


def test_sites_are_components_added_like_any_other(cli: Cli, make_project, cfn_lint):
    # site= is shorthand for service.add(); a second site needs a name of its own, and
    # each is zipped, uploaded and marshalled on its own.
    source = service_source('sparta.S3Site("site/")') + (
        '\nservice.add(sparta.S3Site("docs", name="docs", public=False))\n'
        'assert [c.name for c in service.components] == ["site", "docs"]\n')
    root = make_project({"pyproject.toml": PYPROJECT, "service.py": source, **SITE_FILES,
                         "docs/index.html": "<h1>docs</h1>\n"})
    result = cli("build", project=root)
    assert "/.sparta/web-docs.zip  " in result.output
    assert zipfile.ZipFile(root / ".sparta" / "web-docs.zip").namelist() == ["index.html"]
    code = zipfile.ZipFile(root / ".sparta" / "web-code.zip").namelist()
    assert not [name for name in code if name.startswith(("site/", "docs/"))]
    assert cfn_lint(root / ".sparta" / "web-template.json") == []
    resources = template_of(root)["Resources"]
    assert {"SiteBucket", "SiteContents", "DocsBucket", "DocsContents"} <= set(resources)
    assert "DocsBucketPolicy" not in resources
    assert resources["DocsContents"]["Properties"]["SourceKey"] != (
        resources["SiteContents"]["Properties"]["SourceKey"])


def test_two_sites_with_one_name_are_one_error_line(cli: Cli, make_project):
    source = service_source('sparta.S3Site("site/")') + (
        '\nservice.add(sparta.S3Site("docs"))\n')
    root = make_project({"pyproject.toml": PYPROJECT, "service.py": source, **SITE_FILES})
    result = cli("build", project=root, ok=False)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert "S3Site('docs') and S3Site('site/') share a name" in errors[0]
