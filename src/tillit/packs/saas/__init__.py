"""The saas demo pack: Kunnskapsverket AS (fictional), a software company whose notice is seeds/003."""
