//! The two worlds the server ships (`fixtures/default.toml`, `fixtures/second-world.toml`) as the tests
//! see them: each kind of thing a test needs (a project, a member of some role, a tool of some kind, a
//! key) by what it is, so the same probe runs in both worlds.

use std::path::PathBuf;

use metabind_reference_server::fixture::{default_fixture_path, second_world_fixture_path};
use serde_json::Value;

/// A tool and arguments that make a successful call.
#[derive(Debug, Clone, Copy)]
pub struct ToolRef {
    pub name: &'static str,
    args: &'static str,
}

impl ToolRef {
    pub fn args(&self) -> Value {
        serde_json::from_str(self.args).expect("test arguments are JSON")
    }
}

/// One world's names, by kind.
#[derive(Debug)]
pub struct World {
    pub label: &'static str,
    pub fixture: fn() -> PathBuf,
    /// The world's password rule, from an email.
    pub password: fn(&str) -> String,
    pub org: &'static str,
    /// Private, with every kind of tool; its draft has one more tool and a newer description.
    pub main_project: &'static str,
    /// Public production.
    pub public_project: &'static str,
    /// Private, nothing published.
    pub quiet_project: &'static str,
    pub other_org: &'static str,
    pub other_project: &'static str,
    /// The main project's key for production and draft, minted by the developer.
    pub main_key: &'static str,
    /// The main project's production-only key, minted by the tool runner, and its name.
    pub kiosk_key: &'static str,
    pub kiosk_key_name: &'static str,
    pub public_key: &'static str,
    pub other_key: &'static str,
    pub owner: &'static str,
    pub developer: &'static str,
    /// Runs production tools only (MCP User's analogue).
    pub runner: &'static str,
    pub viewer: &'static str,
    pub viewer_role: &'static str,
    /// Owner of the other organization.
    pub outsider: &'static str,
    pub owner_rest_token: &'static str,
    /// The scope strings, in `scopes_supported` order.
    pub scopes: [&'static str; 6],
    pub page_size: usize,
    /// Read-only, a required string argument (named `search_arg`), an outputSchema.
    pub search: ToolRef,
    pub search_arg: &'static str,
    pub open_world: &'static str,
    pub destructive: &'static str,
    pub task_required: ToolRef,
    pub task_optional: &'static str,
    pub ui: ToolRef,
    pub ui_resource: &'static str,
    pub draft_only: ToolRef,
    /// A phrase of the main project's instructions that only real guidance would hold.
    pub instructions_marker: &'static str,
}

impl World {
    pub fn path(&self, org: &str, project: &str) -> String {
        format!("/{org}/{project}")
    }
    pub fn main(&self) -> String {
        self.path(self.org, self.main_project)
    }
    pub fn main_draft(&self) -> String {
        format!("{}/draft", self.main())
    }
    pub fn public(&self) -> String {
        self.path(self.org, self.public_project)
    }
    pub fn public_draft(&self) -> String {
        format!("{}/draft", self.public())
    }
    pub fn quiet(&self) -> String {
        self.path(self.org, self.quiet_project)
    }
    pub fn other(&self) -> String {
        self.path(self.other_org, self.other_project)
    }
    /// `/_admin/orgs/<org>/projects/<main project><rest>`.
    pub fn admin_main(&self, rest: &str) -> String {
        format!(
            "/_admin/orgs/{}/projects/{}{rest}",
            self.org, self.main_project
        )
    }
}

pub static DEFAULT: World = World {
    label: "default",
    fixture: default_fixture_path,
    password: |email| format!("{}-pass", email.split('@').next().unwrap_or_default()),
    org: "acme",
    main_project: "storefront",
    public_project: "catalog",
    quiet_project: "launchpad",
    other_org: "globex",
    other_project: "ledger",
    main_key: "mbk_storefront_ci_3d7e1f09a4c24b5e",
    kiosk_key: "mbk_storefront_kiosk_b81c52e7f6a0",
    kiosk_key_name: "storefront-kiosk",
    public_key: "mbk_catalog_site_5a9d03c1e2f7",
    other_key: "mbk_ledger_ops_0c4be9d17a38",
    owner: "olivia@acme.test",
    developer: "dev@acme.test",
    runner: "mia@acme.test",
    viewer: "vic@acme.test",
    viewer_role: "Viewer",
    outsider: "gus@globex.test",
    owner_rest_token: "mbrt_olivia_6f2d8a41c9e07b35",
    scopes: [
        "read:types",
        "read:packages",
        "read:assets",
        "execute:mcp",
        "execute:mcp-draft",
        "offline_access",
    ],
    page_size: 2,
    search: ToolRef {
        name: "search_products",
        args: r#"{"query": "tea"}"#,
    },
    search_arg: "query",
    open_world: "check_shipping",
    destructive: "place_order",
    task_required: ToolRef {
        name: "build_sales_report",
        args: r#"{"period": "week"}"#,
    },
    task_optional: "export_catalog",
    ui: ToolRef {
        name: "product_card",
        args: r#"{"sku": "TEA-001"}"#,
    },
    ui_resource: "ui://storefront/product-card.html",
    draft_only: ToolRef {
        name: "compare_products",
        args: r#"{"sku_a": "TEA-001", "sku_b": "MUG-010"}"#,
    },
    instructions_marker: "Never call place_order",
};

pub static SECOND: World = World {
    label: "second",
    fixture: second_world_fixture_path,
    password: |email| format!("w2-{}", email.split('@').next().unwrap_or_default()),
    org: "g7e5JlDB2y6JDTBrmQSs",
    main_project: "1d0E6NMvv2SISyZhZpZ5",
    public_project: "00OpBWMQm27ASrVdaykW",
    quiet_project: "ZSc5NoyHi8U9RWyDiPrj",
    other_org: "sC10ywXxy38yMs8A1XKw",
    other_project: "6f1c2a9e-4b7d-4e21-9c3a-d8e5f0a7b312",
    main_key: "jDEzgeJ74FuPqUGPHVyJEGpano5pD17T",
    kiosk_key: "YFWzFj1OY6jlVKD5TmsPFpSVcYABT2Kd",
    kiosk_key_name: "front-desk",
    public_key: "w0kamUVEm6gaOoNGrviE5Qp7hZvtdcUd",
    other_key: "i6H5kD1UcwDlBcdO4CQYtXNWSDj5anNd",
    owner: "quinn@bramblewood.example",
    developer: "bo@bramblewood.example",
    runner: "rui@bramblewood.example",
    viewer: "opal@bramblewood.example",
    viewer_role: "Observer",
    outsider: "hana@halcyon.example",
    owner_rest_token: "w2rest_727524be3c19a0ed6276165e1bee0249",
    scopes: [
        "tools:list",
        "packages:read",
        "ui:read",
        "tools:run",
        "tools:run-draft",
        "offline_access",
    ],
    page_size: 3,
    search: ToolRef {
        name: "find_books",
        args: r#"{"terms": "moss"}"#,
    },
    search_arg: "terms",
    open_world: "ask_partner_library",
    destructive: "cancel_hold",
    task_required: ToolRef {
        name: "compile_circulation_stats",
        args: r#"{"span": "quarter"}"#,
    },
    task_optional: "archive_reading_lists",
    ui: ToolRef {
        name: "book_sheet",
        args: r#"{"isbn": "978-1-4028-9462-6"}"#,
    },
    ui_resource: "ui://reading-room/book-sheet.html",
    draft_only: ToolRef {
        name: "suggest_next_read",
        args: r#"{"liked_isbn": "978-1-4028-9462-6"}"#,
    },
    instructions_marker: "Never call cancel_hold",
};

pub static WORLDS: [&World; 2] = [&DEFAULT, &SECOND];
