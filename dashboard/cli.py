"""Command line: `python -m dashboard` (serve), `migrate`, `demo`.

python -m dashboard [serve] [--port N] [other streamlit options…]
python -m dashboard migrate
python -m dashboard demo [--scale demo|province] [--force]
python -m dashboard import FILE --table NAME [--dry-run] [--valid-only] [--year Y] [--report X.xlsx]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from data_access import db, demo, ledgers, users

APP = Path(__file__).with_name("app.py")


def _progress_bar(fraction: float, message: str) -> None:
    width = 30
    filled = int(width * fraction)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%} {message:<40}")
    if fraction >= 1:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _engine():
    url = db.database_url()
    print(f"数据库：{db.describe(url)}")
    return db.engine_for(url)


def cmd_migrate(_args) -> int:
    engine = _engine()
    db.migrate(engine)
    print("数据库结构已是最新。")
    return 0


def cmd_demo(args) -> int:
    engine = _engine()
    db.migrate(engine)
    counts = demo.generate(engine, args.scale, force=args.force, progress=_progress_bar)
    print("已生成演示数据：" + "，".join(f"{k} {v:,}" for k, v in counts.items()))
    return 0


def cmd_users(args) -> int:
    engine = _engine()
    if args.action == "list":
        frame = users.list_accounts(engine)
        print(frame.to_string(index=False) if not frame.empty else "（尚无用户）")
        return 0
    if args.action == "disable":
        if not users.deactivate(engine, args.identity, by="命令行"):
            print(f"错误：没有账号 {args.identity}", file=sys.stderr)
            return 2
        print(f"已停用：{args.identity}")
        return 0
    account = users.save_account(
        engine, args.identity, args.role, args.area, args.name, by="命令行"
    )
    print(f"已保存：{account.identity}（{users.ROLE_NAMES[account.role]}）")
    return 0


def cmd_import(args) -> int:
    """Check or import one ledger file. Exit 0: done (or checked clean); 1: a dry run found
    rows with errors; 2: refused (bad file, or errors without --valid-only)."""
    import getpass

    from dashboard import import_view
    from data_access import importer, ledgers

    ledger = ledgers.find(args.table)
    if ledger is None:
        names = "、".join(f"{n}（{lg.title}）" for n, lg in ledgers.LEDGERS.items())
        print(f"错误：未知的台账类型“{args.table}”。可选：{names}", file=sys.stderr)
        return 2
    path = Path(args.file)
    if not path.is_file():
        print(f"错误：找不到文件 {path}", file=sys.stderr)
        return 2
    with path.open("rb") as fh:
        content = fh.read(importer.MAX_BYTES + 1)  # the importer refuses anything larger
    engine = _engine()
    db.migrate(engine)
    if db.is_empty(engine):
        with engine.begin() as conn:
            demo.load_reference(conn)
    try:
        user = f"命令行：{getpass.getuser()}"
    except (OSError, KeyError):
        user = "命令行"
    outcome = importer.run(
        engine,
        ledger.name,
        content,
        path.name,
        dry_run=args.dry_run,
        valid_only=args.valid_only,
        user=user,
        year=args.year,
    )
    if outcome.written or outcome.dry_run:
        users.audit(
            engine,
            user,
            "import" if outcome.written else "dry_run",
            import_view.audit_detail(outcome),
        )
    if outcome.refusal:
        print(f"错误：{outcome.message()}", file=sys.stderr)
        return 2
    print(f"{ledger.title}：{path.name}（{outcome.file_format}）")
    for p in outcome.problems[:50]:
        where = f"第 {p.row} 行" if p.row else "文件"
        level = "错误" if p.level == "error" else "警告"
        column = f"“{p.column}”" if p.column else ""
        value = f"（{p.value}）" if p.value else ""
        print(f"  {level}：{where}{column}{value}：{p.reason}")
    if len(outcome.problems) > 50:
        print(f"  ……共 {len(outcome.problems):,} 条问题，完整清单请用 --report 导出。")
    if args.report:
        Path(args.report).write_bytes(import_view.problems_xlsx(outcome))
        print(f"问题清单已写入 {args.report}")
    if outcome.status == "rejected":
        print(f"错误：{outcome.message()}", file=sys.stderr)
        return 2
    print(outcome.message())
    return 1 if outcome.dry_run and outcome.rejected else 0


def cmd_serve(args, streamlit_args: list[str]) -> int:
    engine = _engine()
    db.migrate(engine)
    if db.is_empty(engine) or db.get_meta(engine, "contents") is None:
        if engine.dialect.name == "sqlite":
            print("首次启动：正在生成演示数据…")
            demo.generate(engine, "demo", progress=_progress_bar)
        else:
            print("提示：数据库为空。可运行 `python -m dashboard demo` 生成演示数据，或导入台账。")
    from streamlit.web import cli as stcli

    print(f"看板地址：http://{args.address}:{args.port}")
    sys.argv = [
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(args.port),
        "--server.address",
        args.address,
        *streamlit_args,
    ]
    return stcli.main()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="结对关爱监测看板")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="启动看板（默认）")
    for p in (parser, serve):
        p.add_argument("--port", type=int, default=8501, help="端口（默认 8501）")
        p.add_argument("--address", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
    sub.add_parser("migrate", help="创建或升级数据库结构")
    d = sub.add_parser("demo", help="生成演示数据（覆盖现有项目数据）")
    d.add_argument("--scale", choices=sorted(demo.SCALES), default="demo")
    d.add_argument("--force", action="store_true", help="即使库中有导入的台账也覆盖")
    u = sub.add_parser("users", help="管理看板用户")
    u_sub = u.add_subparsers(dest="action", required=True)
    u_sub.add_parser("list", help="列出用户")
    add = u_sub.add_parser("add", help="新增或修改用户")
    add.add_argument("identity", help="登录账号（邮箱或 OIDC 标识）")
    add.add_argument("--role", required=True, choices=sorted(users.ROLE_NAMES))
    add.add_argument("--area", help="管辖地区：市州或县区的名称、简称或代码")
    add.add_argument("--name", help="姓名")
    off = u_sub.add_parser("disable", help="停用用户")
    off.add_argument("identity")
    imp = sub.add_parser("import", help="导入台账（xlsx 或 csv）")
    imp.add_argument("file", help="台账文件")
    imp.add_argument("--table", required=True, help="台账类型：" + "、".join(ledgers.LEDGERS))
    imp.add_argument("--dry-run", action="store_true", help="只检查，不写入")
    imp.add_argument("--valid-only", action="store_true", help="跳过有错误的行，只导入有效行")
    imp.add_argument("--year", type=int, help="日期须在此年度内")
    imp.add_argument("--report", help="把问题清单写入此 xlsx 文件")
    args, rest = parser.parse_known_args(argv)
    if rest and args.command in ("migrate", "demo", "users", "import"):
        parser.error(f"无法识别的参数：{' '.join(rest)}")
    try:
        if args.command == "migrate":
            return cmd_migrate(args)
        if args.command == "demo":
            return cmd_demo(args)
        if args.command == "users":
            return cmd_users(args)
        if args.command == "import":
            return cmd_import(args)
        return cmd_serve(args, rest)
    except (db.DatabaseUnavailable, demo.DemoRefused, users.UserError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
