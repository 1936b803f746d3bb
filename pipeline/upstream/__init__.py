"""两级联动: the levels above and below a workspace, through files (issue 21).

- `levels` — the figures a township reports up with its export, kept by the district (the roll-up);
- `report_up` — a township's report to the district (`sancha upstream export`), a 三单 workbook;
- `package` — the district's 下发包 for a unit that runs sancha (written by the weekly batch);
- `city` — a level above that does not run sancha ([[upstream_lists]]): its list read in, its
  feedback table written in its columns.
"""
