"""Build tests/data/qa_consistency.jsonl: 30 facts, each asked three ways (with diacritics,
without diacritics or abbreviated, short). A fact is consistent when all three answers carry the
key fact in their first 300 characters.

    python3 tests/data/build_consistency.py
"""

from __future__ import annotations

import json
from pathlib import Path

FACTS: list[tuple[list[str], str, str, str]] = [
    (["14/63"], "Chỉ số PAR INDEX năm 2024 của Hưng Yên xếp thứ mấy?", "par index hung yen nam 2024 dung thu bao nhieu", "Chỉ số CCHC của tỉnh năm 2024 đứng hạng mấy?"),
    (["8/63"], "Chỉ số SIPAS năm 2024 của Hưng Yên đứng thứ mấy?", "sipas 2024 hung yen xep thu may", "SIPAS 2024 xếp hạng?"),
    (["19/63"], "Chỉ số PAPI năm 2024 của tỉnh Hưng Yên xếp thứ bao nhiêu?", "papi nam 2024 cua tinh xep thu may", "PAPI 2024 đứng thứ mấy"),
    (["12/63"], "Năm 2022 Chỉ số PAR INDEX của Hưng Yên đứng thứ mấy?", "chi so cchc 2022 hung yen xep hang may", "PAR INDEX 2022?"),
    (["06/63", "6/63"], "Chỉ số SIPAS năm 2022 của Hưng Yên xếp thứ mấy?", "sipas nam 2022 dung thu may", "thứ hạng SIPAS 2022 của tỉnh"),
    (["11/63"], "Chỉ số PAPI năm 2022 của tỉnh Hưng Yên đứng thứ mấy?", "papi 2022 hung yen xep thu bao nhieu", "PAPI 2022 xếp hạng"),
    (["47/63"], "Chỉ số CCHC năm 2022 của tỉnh Hải Dương xếp thứ mấy?", "chi so cchc 2022 hai duong dung thu may", "Hải Dương PAR INDEX 2022 thứ hạng"),
    (["83,52"], "Chỉ số CCHC năm 2022 của Hải Dương đạt tổng bao nhiêu điểm?", "tong diem chi so cchc hai duong 2022", "điểm PAR INDEX 2022 Hải Dương"),
    (["Phạm Văn Nghiêm"], "Ai ký Kế hoạch CCHC 6 tháng cuối năm 2025?", "ai ky ke hoach cai cach hanh chinh 6 thang cuoi nam 2025", "người ký KH CCHC 6 tháng cuối 2025"),
    (["Trần Văn Thắng"], "Ai ký Thông báo kết luận Hội nghị đánh giá chỉ số năm 2022?", "ai ky thong bao ket luan hoi nghi chi so 2022", "người ký thông báo kết luận hội nghị 2022"),
    (["Phạm Quang Ngọc"], "Ai ký Kết luận của Ban Thường vụ Tỉnh ủy về Đề án cải thiện chỉ số 2026 - 2030?", "ai ky ket luan btv tinh uy ve de an chi so 2026 2030", "người ký kết luận BTV về đề án chỉ số"),
    (["Nguyễn Duy Hưng"], "Ai ký Công văn khắc phục hạn chế, nâng cao các chỉ số năm 2025?", "ai ky cong van nang cao chi so par index sipas papi 2025", "người ký công văn nâng cao chỉ số 2025"),
    (["26/5/2023"], "Hội nghị đánh giá kết quả các chỉ số năm 2022 được tổ chức ngày nào?", "hoi nghi danh gia chi so 2022 to chuc ngay nao", "ngày tổ chức hội nghị đánh giá chỉ số 2022"),
    (["98%"], "Tỷ lệ hồ sơ TTHC trả kết quả đúng hạn phải đạt bao nhiêu?", "ty le ho so tthc tra ket qua dung han dat bao nhieu", "chỉ tiêu hồ sơ đúng hạn"),
    (["90%"], "Mức độ hài lòng của người dân, doanh nghiệp về giải quyết TTHC phải đạt tối thiểu bao nhiêu?", "muc do hai long ve giai quyet tthc toi thieu bao nhieu", "chỉ tiêu hài lòng giải quyết TTHC"),
    (["70%"], "Tỷ lệ hồ sơ trực tuyến toàn trình phải đạt bao nhiêu?", "ty le ho so truc tuyen toan trinh dat bao nhieu", "hồ sơ trực tuyến toàn trình bao nhiêu %"),
    (["82"], "Dịch vụ công trực tuyến toàn trình được cung cấp cho bao nhiêu nhóm TTHC?", "dich vu cong truc tuyen toan trinh cho may nhom tthc", "DVCTT toàn trình mấy nhóm TTHC"),
    (["05/8/2025"], "Các cơ quan phải ban hành kế hoạch CCHC 6 tháng cuối năm 2025 trước ngày nào?", "han ban hanh ke hoach cchc 6 thang cuoi nam 2025 cua co quan don vi", "hạn ban hành KH CCHC 6 tháng cuối năm"),
    (["Sở Tư pháp"], "Cơ quan nào chủ trì cải cách thể chế trong kế hoạch CCHC 6 tháng cuối năm 2025?", "co quan nao chu tri cai cach the che 6 thang cuoi 2025", "ai lo cải cách thể chế"),
    (["Sở Khoa học và Công nghệ"], "Cơ quan nào chủ trì xây dựng chính quyền điện tử, chính quyền số trong kế hoạch CCHC 6 tháng cuối 2025?", "co quan nao chu tri chinh quyen dien tu chinh quyen so", "ai lo chính quyền số"),
    (["2 đến 5"], "Kế hoạch CCHC đặt mục tiêu xếp hạng PCI năm 2025 tăng bao nhiêu bậc?", "muc tieu pci 2025 tang bao nhieu bac", "mục tiêu PCI"),
    (["nhóm 10"], "Đề án cải thiện chỉ số giai đoạn 2026 - 2030 phấn đấu đưa Hưng Yên vào nhóm nào?", "de an 2026 2030 phan dau hung yen vao nhom may tinh dan dau", "mục tiêu đề án chỉ số đến 2030"),
    (["109"], "Cơ sở dữ liệu cán bộ, công chức, viên chức phải đáp ứng bao nhiêu trường dữ liệu?", "csdl can bo cong chuc vien chuc bao nhieu truong du lieu", "số trường dữ liệu CSDL CBCCVC"),
    (["4/63"], "Lĩnh vực cải cách thủ tục hành chính của Hải Dương năm 2022 xếp thứ mấy?", "cai cach thu tuc hanh chinh hai duong 2022 xep thu may", "Hải Dương cải cách TTHC 2022 thứ hạng"),
    (["8,42"], "Chỉ số SIPAS năm 2022 của Hải Dương đạt bao nhiêu điểm?", "diem sipas 2022 hai duong", "SIPAS Hải Dương 2022 mấy điểm"),
    (["6 tuổi"], "Trẻ em dưới bao nhiêu tuổi được khám, chữa bệnh miễn phí?", "tre em duoi bao nhieu tuoi kham chua benh mien phi", "khám chữa bệnh miễn phí cho trẻ em mấy tuổi"),
    (["10%"], "Phải giảm tối thiểu bao nhiêu phần trăm đơn vị sự nghiệp công lập giai đoạn 2022-2026?", "giam bao nhieu phan tram don vi su nghiep cong lap 2022 2026", "tỷ lệ giảm đơn vị sự nghiệp công lập"),
    (["50%"], "Bao nhiêu phần trăm cuộc giám sát, kiểm tra được thực hiện qua môi trường mạng?", "bao nhieu phan tram cuoc giam sat kiem tra qua moi truong mang", "giám sát kiểm tra trực tuyến bao nhiêu %"),
    (["42/2022"], "Nghị định nào quy định cung cấp thông tin và dịch vụ công trực tuyến trên môi trường mạng?", "nghi dinh nao quy dinh cung cap thong tin dich vu cong truc tuyen tren moi truong mang", "nghị định về cổng thông tin điện tử cơ quan nhà nước"),
    (["31/7/2023"], "Sở Kế hoạch và Đầu tư Hải Dương phải sắp xếp giảm cấp phó phòng xong trước ngày nào?", "so ke hoach dau tu hai duong giam cap pho xong truoc ngay nao", "hạn Sở KH&ĐT Hải Dương giảm cấp phó"),
]


def main() -> None:
    out = Path(__file__).resolve().parent / "qa_consistency.jsonl"
    rows = [{"group": f"c{n:02d}", "way": w, "q": q, "must": [keys]}
            for n, (keys, *qs) in enumerate(FACTS, start=1) for w, q in enumerate(qs, start=1)]
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(len(FACTS), "facts,", len(rows), "questions")


if __name__ == "__main__":
    main()
