"""Generate the sample task schedule of Hưng Yên (``lich-cong-tac-mau.xlsx`` and ``.csv``).

The rows follow the tasks the 2025 documents assign (Kế hoạch CCHC, Công văn nâng cao chỉ số, Kết luận
của BTV Tỉnh ủy về Đề án 2026-2030), re-planned for the 2026-2027 cycle, with deadlines from December
2026 onward. ``--rows N`` writes a large synthetic sheet instead (for import benchmarks).

    .venv/bin/python data/schedule/make_sample.py            # the two sample files next to this script
    .venv/bin/python data/schedule/make_sample.py --rows 50000 --out /tmp/big.xlsx
"""

from __future__ import annotations

import argparse
import csv
import logging
from datetime import date, timedelta
from pathlib import Path

logger = logging.getLogger(__name__)

HEADER = ["Mã", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Hạn hoàn thành", "Người phụ trách",
          "Văn bản giao", "Trạng thái", "Lặp lại"]
KH = "Kế hoạch CCHC năm 2027 (dự kiến)"
DA = "Đề án cải thiện PAR INDEX, SIPAS, PAPI 2026-2030"
ROWS: list[tuple[str, str, str, str, date, str, str, str, str]] = [
    ("HY-2026-001", "Tổng hợp, báo cáo UBND tỉnh kết quả thực hiện Kế hoạch CCHC năm 2026", "Sở Nội vụ", "Văn phòng UBND tỉnh", date(2026, 12, 10), "Phòng CCHC - Sở Nội vụ", KH, "đang làm", ""),
    ("HY-2026-002", "Xây dựng, trình ban hành Kế hoạch CCHC năm 2027 của tỉnh", "Sở Nội vụ", "Các sở, ban, ngành tỉnh", date(2026, 12, 20), "Phòng CCHC - Sở Nội vụ", KH, "chưa làm", ""),
    ("HY-2026-003", "Ban hành Kế hoạch CCHC năm 2027 của cơ quan, đơn vị", "Các sở, ban, ngành tỉnh", "", date(2027, 1, 15), "Văn phòng các sở", KH, "chưa làm", ""),
    ("HY-2026-004", "Ban hành Kế hoạch CCHC năm 2027 của UBND xã, phường", "UBND các xã, phường", "Sở Nội vụ", date(2027, 1, 20), "Công chức Văn phòng - Thống kê", KH, "chưa làm", ""),
    ("HY-2026-005", "Rà soát, công bố danh mục TTHC nội bộ và TTHC đủ điều kiện cung cấp trực tuyến toàn trình", "Văn phòng UBND tỉnh", "Sở Khoa học và Công nghệ", date(2026, 12, 31), "Phòng Kiểm soát TTHC", KH, "đang làm", ""),
    ("HY-2026-006", "Hoàn thành giải ngân 100% kế hoạch vốn đầu tư công năm 2026", "Sở Tài chính", "Các sở, ban, ngành tỉnh; UBND các xã, phường", date(2026, 12, 31), "Phòng Đầu tư - Sở Tài chính", KH, "đang làm", ""),
    ("HY-2026-007", "Kiểm tra, rà soát, hệ thống hóa văn bản QPPL của tỉnh năm 2026", "Sở Tư pháp", "Các sở, ban, ngành tỉnh", date(2026, 12, 25), "Phòng Xây dựng và kiểm tra VBQPPL", KH, "chưa làm", ""),
    ("HY-2026-008", "Báo cáo kết quả chuyển đổi số, chính quyền số năm 2026", "Sở Khoa học và Công nghệ", "Văn phòng UBND tỉnh", date(2026, 12, 15), "Phòng Chuyển đổi số", KH, "chưa làm", ""),
    ("HY-2026-009", "Báo cáo CCHC định kỳ quý IV/2026 gửi Sở Nội vụ", "Các sở, ban, ngành tỉnh", "", date(2026, 12, 12), "Công chức theo dõi CCHC", KH, "chưa làm", "hằng quý"),
    ("HY-2026-010", "Báo cáo CCHC định kỳ quý IV/2026 của UBND xã, phường", "UBND các xã, phường", "", date(2026, 12, 12), "Công chức Văn phòng - Thống kê", KH, "chưa làm", "hằng quý"),
    ("HY-2026-011", "Khảo sát sự hài lòng của người dân tại Bộ phận Một cửa các cấp", "Sở Nội vụ", "Trung tâm Phục vụ hành chính công và Kiểm soát thủ tục hành chính", date(2027, 3, 31), "Phòng CCHC - Sở Nội vụ", DA, "chưa làm", "hằng năm"),
    ("HY-2026-012", "Tuyên truyền về Chỉ số SIPAS và PAPI trên báo, phát thanh, truyền hình", "Báo và Phát thanh, Truyền hình Hưng Yên", "Sở Nội vụ", date(2027, 2, 28), "Ban Thời sự", DA, "chưa làm", "hằng quý"),
    ("HY-2026-013", "Tự đánh giá, chấm điểm Chỉ số CCHC năm 2026 của cơ quan, đơn vị", "Các sở, ban, ngành tỉnh", "Sở Nội vụ", date(2027, 1, 10), "Công chức theo dõi CCHC", DA, "chưa làm", "hằng năm"),
    ("HY-2026-014", "Thẩm định kết quả tự đánh giá Chỉ số CCHC năm 2026 của các sở, ngành, xã, phường", "Sở Nội vụ", "Văn phòng UBND tỉnh; Sở Tư pháp; Sở Tài chính", date(2027, 2, 15), "Phòng CCHC - Sở Nội vụ", DA, "chưa làm", ""),
    ("HY-2026-015", "Hoàn thiện hồ sơ tài liệu kiểm chứng PAR INDEX 2026 của tỉnh gửi Bộ Nội vụ", "Sở Nội vụ", "Các sở, ban, ngành tỉnh", date(2027, 1, 31), "Phòng CCHC - Sở Nội vụ", DA, "chưa làm", ""),
    ("HY-2026-016", "Kiểm tra công tác CCHC tại 10 xã, phường năm 2027", "Sở Nội vụ", "Văn phòng UBND tỉnh", date(2027, 6, 30), "Phòng CCHC - Sở Nội vụ", KH, "chưa làm", ""),
    ("HY-2026-017", "Nâng cấp Hệ thống thông tin giải quyết TTHC tỉnh, đồng bộ với Cổng Dịch vụ công quốc gia", "Sở Khoa học và Công nghệ", "Văn phòng UBND tỉnh", date(2027, 3, 31), "Trung tâm Công nghệ thông tin", KH, "chưa làm", ""),
    ("HY-2026-018", "Công khai kết quả thu, chi ngân sách cấp xã năm 2026", "UBND các xã, phường", "Sở Tài chính", date(2027, 1, 31), "Kế toán ngân sách xã", DA, "chưa làm", "hằng năm"),
    ("HY-2026-019", "Phê duyệt điều chỉnh đề án vị trí việc làm sau sắp xếp", "Sở Nội vụ", "Các sở, ban, ngành tỉnh", date(2027, 4, 30), "Phòng Tổ chức biên chế", KH, "chưa làm", ""),
    ("HY-2026-020", "Sơ kết một năm thực hiện Đề án cải thiện PAR INDEX, SIPAS, PAPI", "Ủy ban nhân dân tỉnh", "Sở Nội vụ; Văn phòng UBND tỉnh", date(2027, 12, 15), "Văn phòng UBND tỉnh", DA, "chưa làm", "hằng năm"),
    ("HY-2026-021", "Báo cáo tình hình giải quyết phản ánh, kiến nghị về quy định hành chính 6 tháng", "Văn phòng UBND tỉnh", "", date(2027, 6, 15), "Phòng Kiểm soát TTHC", KH, "chưa làm", "6 tháng"),
    ("HY-2026-022", "Số hóa hồ sơ, kết quả giải quyết TTHC còn tồn đọng năm 2026", "UBND các xã, phường", "Trung tâm Phục vụ hành chính công và Kiểm soát thủ tục hành chính", date(2026, 12, 31), "Bộ phận Một cửa cấp xã", KH, "đang làm", ""),
    ("HY-2026-023", "Rà soát nâng cao chất lượng dịch vụ hành chính công lĩnh vực giáo dục", "Sở Giáo dục và Đào tạo", "", date(2027, 5, 31), "Văn phòng Sở GD&ĐT", KH, "chưa làm", ""),
    ("HY-2026-024", "Đánh giá mức độ hài lòng về dịch vụ y tế công lập năm 2026", "Sở Y tế", "Sở Nội vụ", date(2027, 3, 15), "Phòng Nghiệp vụ Y", DA, "chưa làm", "hằng năm"),
]


def write_csv(path: Path, rows: list[list[object]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:  # BOM so Excel opens it as UTF-8
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Lịch công tác")
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    wb.save(path)


def sample_rows(for_csv: bool) -> list[list[object]]:
    out: list[list[object]] = []
    for code, title, lead, sup, due, owner, ref, status, rec in ROWS:
        out.append([code, title, lead, sup, due.strftime("%d/%m/%Y") if for_csv else due, owner, ref, status, rec])
    return out


def big_rows(n: int) -> list[list[object]]:
    leads = ["Sở Nội vụ", "Sở Tài chính", "Sở Tư pháp", "Văn phòng UBND tỉnh", "UBND các xã, phường", "Sở Y tế"]
    start = date(2026, 12, 1)
    return [[f"BIG-{i:06d}", f"Nhiệm vụ thử nghiệm số {i}", leads[i % len(leads)], "", start + timedelta(days=i % 400),
             "", "Lịch thử nghiệm", "chưa làm", ""] for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=0, help="write a synthetic sheet with this many rows")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    here = Path(__file__).resolve().parent
    if args.rows:
        out = args.out or Path(f"lich-{args.rows}.xlsx")
        rows = big_rows(args.rows)
        if out.suffix == ".csv":
            for r in rows:
                d = r[4]
                r[4] = d.strftime("%d/%m/%Y") if isinstance(d, date) else d
            write_csv(out, rows)
        else:
            write_xlsx(out, rows)
        print(out)
        return
    write_xlsx(here / "lich-cong-tac-mau.xlsx", sample_rows(False))
    write_csv(here / "lich-cong-tac-mau.csv", sample_rows(True))
    print(here / "lich-cong-tac-mau.xlsx", here / "lich-cong-tac-mau.csv")


if __name__ == "__main__":
    main()
