"""Command line: `python -m dashboard` (serve), `migrate`, `demo`.

python -m dashboard [serve] [--port N] [other streamlit options…]
python -m dashboard migrate
python -m dashboard demo [--scale demo|province] [--force]
python -m dashboard import FILE --table NAME [--dry-run] [--valid-only] [--year Y] [--report X.xlsx]
python -m dashboard briefing --year Y --quarter N [--area NAME | --all-prefectures]
                             [--format docx,pptx,xlsx,txt] --out DIR [--date YYYY-MM-DD]
python -m dashboard users list | add ID --role R [--area A] | disable ID
python -m dashboard rekey      (after a new ID-number key: wrap the stored hashes with it)
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from data_access import db, demo, idnumbers, ledgers, settings, users

APP = Path(__file__).with_name("app.py")
log = logging.getLogger("dashboard")


def _progress_bar(fraction: float, message: str) -> None:
    """A bar redrawn in place on a terminal; one line per step in a log (cron, a pipe)."""
    if not sys.stderr.isatty():
        sys.stderr.write(f"{fraction:4.0%} {message}\n")
        sys.stderr.flush()
        return
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


def cmd_rekey(_args) -> int:
    engine = _engine()
    db.migrate(engine)
    done = idnumbers.rekey(engine)
    print(
        f"已用新密钥重新生成 {done:,} 条身份证号哈希。"
        if done
        else "身份证号哈希已是当前密钥，无需更新。"
    )
    return 0


def cmd_demo(args) -> int:
    engine = _engine()
    db.migrate(engine)
    counts = demo.generate(engine, args.scale, force=args.force, progress=_progress_bar)
    print("已生成演示数据：" + "，".join(f"{k} {v:,}" for k, v in counts.items()))
    return 0


def cmd_users(args) -> int:
    engine = _engine()
    db.check(engine)  # a database that is down or gone: one sentence, not a traceback
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


def _cli_user() -> str:
    """The audit log's name for whoever runs a command: 命令行：<login>."""
    import getpass

    try:
        return f"命令行：{getpass.getuser()}"
    except (OSError, KeyError):
        return "命令行"


class BriefingFailed(Exception):
    """A briefing run that cannot go on; the message is the sentence shown."""


def _briefing_areas(engine, args) -> list[tuple[str | None, str | None]]:
    """(prefecture, county) of each briefing asked for: the province, one area, or every
    prefecture in official order."""
    from data_access import queries
    from data_access.scope import PROVINCE

    if args.all_prefectures:
        return [(code, None) for code in queries.prefectures(engine, PROVINCE)["code"]]
    if args.area:
        return [users.resolve_area(engine, args.area)]
    return [(None, None)]


def last_ended_quarter(today) -> tuple[int, str]:
    """(year, quarter) of the last quarter that ended before today: what a job run early in
    a quarter reports on (on 5 January 2025: 2024, Q4)."""
    done = (today.month - 1) // 3  # quarters of this year already over
    return (today.year, f"Q{done}") if done else (today.year - 1, "Q4")


def cmd_briefing(args) -> int:
    """Write each area's briefing files into --out: the page's files, under the page's names.
    Exit 0: all written; 2: nothing or not everything written (the sentence says why)."""
    import datetime as dt
    import os

    from dashboard import briefing as br
    from dashboard import briefing_files
    from data_access import queries
    from data_access.scope import PROVINCE, Filters

    formats = [f.strip().lower() for f in args.format.split(",") if f.strip()]
    unknown = [f for f in formats if f not in briefing_files.FORMATS]
    if unknown or not formats:
        raise BriefingFailed(
            f"未知的文件格式“{'、'.join(unknown) or args.format}”。可选："
            + "、".join(briefing_files.FORMATS)
        )
    try:
        issued = dt.date.fromisoformat(args.date) if args.date else dt.date.today()
    except ValueError:
        raise BriefingFailed(f"成文日期“{args.date}”不是 YYYY-MM-DD 格式的日期。") from None
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BriefingFailed(f"无法创建输出目录 {out}：{exc.strerror or exc}") from None
    if not os.access(out, os.W_OK):
        raise BriefingFailed(f"输出目录 {out} 不可写入。")
    engine = _engine()
    db.migrate(engine)
    if db.is_empty(engine):
        raise BriefingFailed("数据库中还没有项目数据：请先导入台账或生成演示数据。")
    year, quarter = last_ended_quarter(issued)
    if args.year or args.quarter:
        year, quarter = args.year or issued.year, br.QUARTERS[(args.quarter or 4) - 1]
    areas = _briefing_areas(engine, args)
    facts = queries.facts(engine)
    user = _cli_user()

    def run(fn, *a):
        return fn(engine, *a)

    total = len(areas) * len(formats)
    done = 0
    for prefecture, county in areas:
        flt = Filters(year, quarter, prefecture, county)
        name = br.named_area(run, flt, "zh")
        b = br.collect(run, PROVINCE, flt, "zh", name, facts)
        for ext in formats:
            path = out / b.file_name(ext)
            try:
                data = briefing_files.make(b, ext, issued)
                partial = path.with_name(path.name + ".part")
                partial.write_bytes(data)
                partial.replace(path)  # a reader never sees half a file
            except OSError as exc:
                raise BriefingFailed(f"无法写入 {path}：{exc.strerror or exc}") from None
            except Exception as exc:
                log.exception("briefing %s %s", name, ext)
                raise BriefingFailed(f"生成{name}的 {ext} 文件失败：{exc}") from None
            users.audit(engine, user, "export", path.name)
            done += 1
            _progress_bar(done / total, f"{name} {ext}")
            print(path)
    print(f"已生成 {done} 个文件，保存在 {out}。")
    return 0


def cmd_import(args) -> int:
    """Check or import one ledger file. Exit 0: done (or checked clean); 1: a dry run found
    rows with errors; 2: refused (bad file, or errors without --valid-only)."""
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
    user = _cli_user()
    outcome = importer.run(
        engine,
        ledger.name,
        content,
        path.name,
        dry_run=args.dry_run,
        valid_only=args.valid_only,
        replace=args.replace,
        user=user,
        year=args.year,
        progress=import_view.text_progress(sys.stderr) if sys.stderr.isatty() else None,
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
    for line in import_view.problem_lines(outcome):
        print(f"  {line}")
    if args.report:
        Path(args.report).write_bytes(import_view.problems_xlsx(outcome))
        print(f"问题清单已写入 {args.report}")
    if outcome.status == "rejected":
        print(f"错误：{outcome.message()}", file=sys.stderr)
        return 2
    print(outcome.message())
    return 1 if outcome.dry_run and outcome.rejected else 0


def cmd_serve(args, streamlit_args: list[str]) -> int:
    settings.check_all()  # a setting that cannot be read stops here, before anything is served
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
    imp.add_argument(
        "--replace",
        action="store_true",
        help="替换：文件涉及的每个县区、每个月的原有记录以本文件为准（文件中没有的删除）",
    )
    imp.add_argument("--report", help="把问题清单写入此 xlsx 文件")
    brf = sub.add_parser(
        "briefing",
        help="生成季通报文件（公文、演示文稿、数据表、文稿），可用于计划任务",
        description="按季度生成季通报文件，文件名与看板下载的相同：季通报_年度_季度_地区.扩展名。",
    )
    brf.add_argument("--year", type=int, help="年度，例如 2024（默认：最近结束的季度所在年度）")
    brf.add_argument(
        "--quarter", type=int, choices=(1, 2, 3, 4), help="季度 1–4（默认：最近结束的季度）"
    )
    where = brf.add_mutually_exclusive_group()
    where.add_argument("--area", help="市州或县区（名称、简称或代码）；不写为全省")
    where.add_argument("--all-prefectures", action="store_true", help="14 个市州各一套")
    brf.add_argument("--format", default="docx,pptx,xlsx,txt", help="逗号分隔：docx,pptx,xlsx,txt")
    brf.add_argument("--out", required=True, help="输出目录（不存在时创建）")
    brf.add_argument("--date", help="成文日期 YYYY-MM-DD（默认今天）")
    sub.add_parser("rekey", help="更换身份证号密钥后，用新密钥重新生成库中的哈希")
    args, rest = parser.parse_known_args(argv)
    if rest and args.command in ("migrate", "demo", "users", "import", "briefing", "rekey"):
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
        if args.command == "briefing":
            return cmd_briefing(args)
        if args.command == "rekey":
            return cmd_rekey(args)
        return cmd_serve(args, rest)
    except (
        db.DatabaseUnavailable,
        demo.DemoRefused,
        users.UserError,
        BriefingFailed,
        settings.SettingError,
        idnumbers.KeyProblem,
    ) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if not db.is_fault(exc):
            raise
        print(f"错误：{db.fault_message(exc)}。", file=sys.stderr)
        return 2
