"""Word lists for the synthetic marketplace: Indonesian names, cities, shop-name parts,
product words, slang and writing habits. Hand-written; nothing here is copied from a data set.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Budi", "Siti", "Agus", "Dewi", "Rina", "Andi", "Joko", "Wahyu", "Sri", "Eko", "Fitri", "Rizky",
    "Putri", "Dian", "Ayu", "Hendra", "Yuni", "Bayu", "Indah", "Fajar", "Nur", "Lestari", "Sari",
    "Dimas", "Rudi", "Teguh", "Nanda", "Intan", "Reza", "Ilham", "Anisa", "Yoga", "Rahmat", "Wulan",
    "Galih", "Tono", "Asep", "Ujang", "Cecep", "Made", "Komang", "Ketut", "Wayan", "Nyoman", "Putu",
    "Ucok", "Butet", "Mega", "Novi", "Dodi", "Hadi", "Irfan", "Kevin", "Michael", "Jessica", "Steven",
    "Ahmad", "Hasan", "Lukman", "Yusuf", "Arif", "Bambang", "Darmawan", "Endang", "Farida", "Gilang",
    "Hana", "Iwan", "Jamal", "Kartika", "Lina", "Mira", "Nia", "Oki", "Pandu", "Qori", "Ratna",
    "Sinta", "Tika", "Umar", "Vina", "Wawan", "Yanti", "Zaki", "Adit", "Bella", "Citra", "Dika",
    "Erik", "Feby", "Gita", "Hari", "Ira", "Jefri", "Kiki", "Lia", "Maya", "Nico", "Opik", "Pipit",
    "Rani", "Sony", "Tari", "Ulfa", "Vicky", "Wina", "Yadi", "Zahra", "Aldi", "Bagus", "Cahya",
    "Deni", "Elsa", "Ferdi", "Gusti", "Heru", "Imam", "Jihan", "Kurnia", "Luthfi", "Mamat", "Nadia",
    "Okta", "Prima", "Rafi", "Salsa", "Tegar", "Ucup", "Vino", "Windi", "Yogi", "Zul", "Aris",
    "Benny", "Chandra", "Dedi", "Evi", "Frans", "Ganda", "Hotma", "Ina", "Juned", "Koko", "Lusi",
    "Melati", "Nining", "Otong", "Panji", "Rosa", "Samsul", "Tiara", "Usman", "Vera", "Wiwik",
)

SURNAMES = (
    "Siregar", "Nasution", "Harahap", "Lubis", "Simanjuntak", "Sitompul", "Pardede", "Hutapea",
    "Tanjung", "Wijaya", "Santoso", "Gunawan", "Halim", "Kusuma", "Saputra", "Pratama", "Hidayat",
    "Setiawan", "Nugroho", "Wibowo", "Susanto", "Hartono", "Tan", "Lim", "Pangaribuan", "Manurung",
    "Sinaga", "Sembiring", "Ginting", "Tarigan", "Purba", "Silalahi", "Sihombing", "Situmorang",
    "Panjaitan", "Rangkuti", "Daulay", "Pohan", "Batubara", "Marpaung", "Tambunan", "Gultom",
    "Kurniawan", "Permana", "Ramadhan", "Firmansyah", "Maulana", "Syahputra", "Wirawan", "Utomo",
    "Sudirman", "Hakim", "Salim", "Rahman", "Anwar", "Effendi", "Suryadi", "Prasetyo", "Wahyudi",
    "Handoko", "Sutanto", "Chandra", "Lesmana", "Pranata", "Adiputra", "Suganda", "Rusdi", "Basri",
)

# city, abbreviation(s), province, postcode prefix
CITIES = (
    ("Jakarta", ("JKT", "Jkt"), "DKI Jakarta", "1"),
    ("Jakarta Barat", ("JakBar", "JKB"), "DKI Jakarta", "11"),
    ("Jakarta Timur", ("JakTim", "JKT"), "DKI Jakarta", "13"),
    ("Jakarta Selatan", ("JakSel", "JKS"), "DKI Jakarta", "12"),
    ("Bandung", ("BDG", "Bdg"), "Jawa Barat", "40"),
    ("Surabaya", ("SBY", "Sby"), "Jawa Timur", "60"),
    ("Medan", ("MDN", "Mdn"), "Sumatera Utara", "20"),
    ("Yogyakarta", ("JOGJA", "YK", "Jogja"), "DI Yogyakarta", "55"),
    ("Semarang", ("SMG", "Smg"), "Jawa Tengah", "50"),
    ("Makassar", ("MKS", "Mks"), "Sulawesi Selatan", "90"),
    ("Palembang", ("PLG", "Plg"), "Sumatera Selatan", "30"),
    ("Depok", ("DPK", "Dpk"), "Jawa Barat", "16"),
    ("Bekasi", ("BKS", "Bks"), "Jawa Barat", "17"),
    ("Tangerang", ("TNG", "TGR"), "Banten", "15"),
    ("Bogor", ("BGR", "Bgr"), "Jawa Barat", "16"),
    ("Malang", ("MLG", "Mlg"), "Jawa Timur", "65"),
    ("Solo", ("SLO", "Solo"), "Jawa Tengah", "57"),
    ("Denpasar", ("DPS", "Bali"), "Bali", "80"),
    ("Pekanbaru", ("PKU", "Pku"), "Riau", "28"),
    ("Batam", ("BTM", "Btm"), "Kepulauan Riau", "29"),
    ("Pontianak", ("PTK", "Ptk"), "Kalimantan Barat", "78"),
    ("Balikpapan", ("BPN", "Bpp"), "Kalimantan Timur", "76"),
    ("Padang", ("PDG", "Pdg"), "Sumatera Barat", "25"),
    ("Manado", ("MDO", "Mdo"), "Sulawesi Utara", "95"),
    ("Cirebon", ("CRB", "Crb"), "Jawa Barat", "45"),
    ("Tasikmalaya", ("TSM", "Tasik"), "Jawa Barat", "46"),
    ("Lampung", ("LPG", "Lpg"), "Lampung", "35"),
    ("Jambi", ("JMB", "Jbi"), "Jambi", "36"),
    ("Banjarmasin", ("BJM", "Bjm"), "Kalimantan Selatan", "70"),
    ("Samarinda", ("SMD", "Smd"), "Kalimantan Timur", "75"),
)

SHOP_WORDS = (
    "Berkah", "Jaya", "Makmur", "Sejahtera", "Abadi", "Sentosa", "Mulia", "Barokah", "Amanah",
    "Rezeki", "Murah", "Laris", "Mantap", "Gaul", "Keren", "Kece", "Hits", "Cantik", "Ganteng",
    "Sinar", "Cahaya", "Bintang", "Maju", "Bersama", "Sukses", "Lancar", "Indah", "Sumber", "Karya",
    "Mandiri", "Rejeki", "Gudang", "Pusat", "Grosir", "Lapak", "Kios", "Distro", "Butik", "Galeri",
    "Koleksi", "Lemari", "Pasar", "Nusantara", "Merdeka", "Harapan", "Mutiara", "Permata", "Pelangi",
    "Melati", "Mawar", "Kencana", "Sakti", "Lestari", "Baru", "Santai", "Asik", "Kalem", "Ceria",
)

ENGLISH_WORDS = (
    "Vintage", "Retro", "Urban", "Street", "Classic", "Outfit", "Closet", "Wardrobe", "Style", "Goods",
    "Apparel", "Garage", "Archive", "Culture", "Denim", "Corner", "Vibes", "Daily", "Basic", "Hunter",
    "Select", "Rare", "Second Life", "Reborn", "Nomad", "Casual", "Legend", "Point", "Spot", "Hub",
)

FILLERS_POST = (
    "Official", "Store", "Shop", "Olshop", "ID", "Thrift", "Preloved", "Second", "Store.id",
    "Collection", "Outlet", "Official Store", "Gallery", "Corner", "Project", "House", "Co", "Supply",
    "Thrift Shop", "Thriftstore", "OS", "Shop ID", "Store Indonesia", "Official Shop",
)
FILLERS_PRE = ("Toko", "Lapak", "Kedai", "Warung", "Rumah", "Gudang", "Butik", "Galeri", "The", "Grosir")

EMOJI = (
    "✨", "🔥", "💯", "🛍️", "👕", "👖", "🧥", "👗", "⭐", "🌟", "💥", "❤️", "😍", "🙏", "👍", "📦",
    "🚚", "💸", "🤩", "😊", "🥰", "☺️", "✅", "🌸", "🌈", "⚡", "💖", "🎉", "👌", "😁", "🤗", "💕",
    "🌻", "🍀", "🦋", "💎", "🏷️", "📌", "👉", "🔔",
)
NAME_NUMBERS = ("88", "99", "21", "2023", "17", "45", "123", "777", "86", "07", "12", "24", "69", "01", "354")

GENERIC_NAMES = (
    "Thrift Store Jakarta", "Preloved Murah", "Toko Baju Bekas", "Thrift Shop ID", "Grosir Bal Impor",
    "Pakaian Bekas Murah", "Second Branded Original", "Thrift Murah Bandung", "Lapak Thrift",
    "Preloved Branded", "Thrift Surabaya", "Baju Second Murah", "Gudang Thrift", "Thrift Original",
    "Jaket Thrift Murah", "Thrift Store Indonesia", "Preloved Store", "Toko Thrift", "Bal Korea Murah",
    "Kemeja Flanel Second", "Thrift Medan", "Vintage Store ID", "Distro Thrift", "Thrift Jogja",
)

# ---------------------------------------------------------------------------------------
# homoglyphs and leet for renames
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "g": "9", "b": "8", "l": "1"}
HOMOGLYPHS = {
    "a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "s": "ѕ",
    "A": "А", "B": "В", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О", "P": "Р", "T": "Т", "C": "С",
}

# ---------------------------------------------------------------------------------------
# products
CATEGORIES = {
    # category: (item words, typical sizes, price range in thousands)
    "jaket": (("jaket denim", "jaket parasut", "jaket kulit", "jaket bomber", "jaket varsity",
               "windbreaker", "jaket gunung", "jaket coach", "jaket corduroy", "jaket hoodie zipper"),
              ("M", "L", "XL", "XXL"), (45, 350)),
    "kemeja": (("kemeja flanel", "kemeja denim", "kemeja hawaii", "kemeja batik", "kemeja oxford",
                "kemeja corduroy", "kemeja kotak", "kemeja polos"), ("S", "M", "L", "XL"), (25, 150)),
    "hoodie": (("hoodie", "hoodie oversize", "hoodie zipper", "hoodie polos", "hoodie bordir"),
               ("M", "L", "XL"), (50, 250)),
    "sweater": (("sweater", "crewneck", "sweater rajut", "cardigan", "knitwear", "sweatshirt"),
                ("S", "M", "L", "XL"), (35, 180)),
    "celana": (("celana jeans", "celana cargo", "celana chino", "celana kulot", "jeans baggy",
                "celana pendek", "celana training", "jeans slim fit"), ("28", "30", "32", "34", "36"), (40, 250)),
    "kaos": (("kaos band", "kaos polos", "kaos vintage", "kaos oversize", "kaos bola", "kaos polo",
              "kaos sablon"), ("S", "M", "L", "XL"), (15, 120)),
    "rok": (("rok plisket", "rok jeans", "rok midi", "rok span"), ("S", "M", "L", "all size"), (25, 120)),
    "dress": (("dress", "gamis", "dress korea", "tunik", "blouse"), ("S", "M", "L", "all size"), (30, 200)),
    "blazer": (("blazer", "coat", "trench coat", "jas", "long coat"), ("S", "M", "L", "XL"), (60, 400)),
    "bal": (("campur", "kaos", "jaket", "kemeja", "celana", "sweater", "hoodie", "mix", "dress"), ("100kg", "50kg", "25kg", "isi 100pcs", "isi 200pcs"), (1500, 9000)),
}
BRANDS = (
    "Uniqlo", "Levi's", "Nike", "Adidas", "Zara", "H&M", "Carhartt", "Champion", "The North Face",
    "Columbia", "GAP", "Tommy Hilfiger", "Ralph Lauren", "Dickies", "Wrangler", "Lee", "Puma",
    "Patagonia", "Stussy", "Polo", "Guess", "Fila", "Kappa", "Giordano", "Muji", "GU", "Pull&Bear",
    "Bershka", "Mango", "Cotton On", "Evisu", "Quiksilver", "Billabong", "Converse", "Vans",
)
COLORS = (
    "hitam", "putih", "navy", "abu", "abu-abu", "merah", "maroon", "hijau army", "olive", "cream",
    "coklat", "mocca", "biru", "biru muda", "kuning", "mustard", "pink", "ungu", "denim", "khaki",
    "salem", "tosca", "broken white", "hitam putih", "kotak merah",
)
ORIGINS = ("Korea", "Jepang", "Eropa", "Amerika", "Singapore", "Hongkong", "Taiwan", "Australia", "China")

# concepts whose words an actor chooses once; a comeback swaps them (product-word swap)
CONCEPTS = {
    "used": ("bekas impor", "preloved", "second", "thrift", "seken", "ex impor", "bekas layak pakai",
             "pre-loved", "branded second", "bekas"),
    "bundle": ("bal", "karungan", "karung", "bal-balan", "bundle", "paket grosir", "bal press"),
    "import": ("impor", "import", "luar negeri", "ex LN", "dari luar"),
    "original": ("original", "ori", "asli", "authentic", "100% ori", "original 100%"),
    "cheap": ("murah", "terjangkau", "miring", "bersahabat", "murce", "ramah di kantong"),
    "condition": ("kondisi", "kondisi barang", "kondisi brg", "kondisinya", "kond"),
    "ready": ("ready stock", "ready", "ready stok", "stok ada", "siap kirim"),
}
# words a comeback prefers once its old words were flagged: the illegal-sounding ones drop out
EVASIVE = {
    "used": ("preloved", "second", "pre-loved", "branded second", "thrift", "seken"),
    "bundle": ("karungan", "bundle", "paket grosir", "bal-balan", "karung"),
    "import": ("luar negeri", "ex LN", "dari luar"),
}

# ---------------------------------------------------------------------------------------
# writing habits
GREETINGS = (
    "Halo", "Hai", "Selamat datang di toko kami", "Assalamualaikum", "Hallo", "Welcome", "Met datang",
    "Selamat berbelanja", "Hai hai", "Haloo", "Hi", "Selamat datang", "Salam thrifter", "Permisi",
    "Wellcome", "Sugeng rawuh", "Punten", "Hellow", "Halo halo", "Yuhuu", "Selamat pagi", "Helo",
)
# address terms a greeting may carry ("Halo kak")
ADDRESS_TERMS = ("kak", "kak", "sis", "gan", "bosku", "kakak", "bestie", "juragan", "gaes", "guys", "kakak2", "agan")
SIGNOFFS = (
    "Happy shopping!", "Terima kasih", "Makasih kak", "Salam thrifting", "Jangan lupa follow ya",
    "Order sebelum kehabisan", "Yuk diorder kak", "Tengkyu", "Thx kak", "Cus checkout", "Wassalam",
    "Selamat berbelanja", "Ditunggu ordernya", "Semoga berkah", "Matur nuwun", "Hatur nuhun",
    "Sehat selalu kak", "Follow for update", "Happy thrifting", "Gasken", "Sampai jumpa",
)
PET_PHRASES = (
    "dijamin puas", "kualitas juara", "no tipu2", "barang real pict", "harga bersahabat",
    "stok terbatas", "siap kirim seluruh indonesia", "amanah dan terpercaya", "kondisi mulus",
    "no minus", "minus pemakaian wajar", "sudah dicuci bersih", "siap pakai", "first hand",
    "langsung dari gudang", "cocok buat reseller", "bisa COD", "fast respon", "tanya2 dulu boleh",
    "nego tipis", "no nego", "harga pas", "pengiriman tiap hari", "packing aman pakai bubble",
    "keep max 1x24 jam", "yang cepat dapat", "bahan adem", "jahitan rapi", "layak pakai",
    "barang sesuai foto", "rekber ok", "sudah laundry wangi", "bebas bau apek", "no bolong no noda",
    "detail tanya aja", "foto asli bukan katalog", "warna real", "bisa grosir", "reseller welcome",
    "harga reseller beda", "cek video sebelum beli", "tidak menerima retur", "free stiker",
    "dikirim hari ini juga", "bisa kirim instan", "gratis ongkir area tertentu", "unboxing wajib video",
    "cek dulu sebelum checkout", "langsung checkout aja", "siap dropship", "bahan tebal", "awet",
)
INTENSIFIERS = ("pokoknya", "dijamin", "asli", "beneran", "sumpah", "fix", "pasti", "auto", "dijamin deh", "yakin")
ADJECTIVES = ("mantul", "kece", "adem", "keren", "mantap", "jos", "cakep", "gokil", "kinclong", "ciamik",
              "premium", "rapi", "juara", "kalcer", "estetik", "mewah", "awet", "nyaman", "pas", "stylish")
DEGREES = ("parah", "bgt", "banget", "pol", "jiwa", "abis", "sekali", "maksimal", "poll", "bener")
PARTICLES = ("deh", "kak", "gan", "sis", "lho", "ya", "dong", "nih", "sih", "bos", "wkwk", "hehe", "gaes")
SHOP_ABOUT = (
    "Jual {used} {import} pilihan", "Menjual pakaian {used} kualitas {original}",
    "Spesialis {cat} {used}", "Pusat {cat} {used} {cheap}", "Sedia {bundle} dan ecer",
    "Kurasi {used} branded {import}", "Thrift pilihan, {original} semua", "Open reseller {bundle}",
    "Jual ecer & {bundle} {import}", "Barang {used} {original}, harga {cheap}",
    "Baju {used} {import} siap pakai", "Menyediakan {cat} {used} kualitas {import}",
)
SHIP_LINES = (
    "Pengiriman {days}", "Kirim tiap hari kecuali {off}", "Order sebelum jam {hour} dikirim hari ini",
    "Ongkir ditanggung pembeli", "Bisa kirim via {courier}", "Resi diupdate malam hari",
    "Packing rapi pakai {pack}", "Kirim dari {city}",
)
COURIERS = ("JNE", "J&T", "SiCepat", "AnterAja", "Ninja", "GoSend", "GrabExpress", "POS", "Lion Parcel", "IDExpress")
PACKS = ("bubble wrap", "plastik tebal", "kardus", "polymailer", "double plastik")
DAYS = ("Senin-Sabtu", "setiap hari", "Senin-Jumat", "tiap hari jam kerja", "Senin s/d Sabtu")
DAYS_OFF = ("Minggu", "tanggal merah", "hari libur", "Jumat")

ABBREVIATIONS = {
    "yang": "yg", "dengan": "dgn", "untuk": "utk", "bisa": "bs", "tidak": "tdk", "sudah": "sdh",
    "jadi": "jd", "karena": "krn", "saja": "aja", "banget": "bgt", "terus": "trs", "saya": "sy",
    "kakak": "kk", "barang": "brg", "langsung": "lgsg", "harga": "hrg", "silakan": "silahkan",
    "terima kasih": "trims", "pengiriman": "pengiriman", "belum": "blm", "lagi": "lg", "juga": "jg",
    "tanya": "tny", "kondisi": "kond", "sebelum": "sblm", "sampai": "sampe",
}
NEGATIONS = ("gak", "ga", "nggak", "tidak", "tdk", "gk", "enggak")
BULLETS = ("•", "-", "✅", "▪️", "*", "➡️", "~", "✔️", "")
MEASURE_STYLES = (
    "LD {ld} P {p}", "lebar dada {ld}cm panjang {p}cm", "L{ld} x P{p}", "LD: {ld} / PJ: {p}",
    "ukuran {ld}x{p} cm", "Lingkar dada {ld2}, panjang {p}", "ld {ld} pj {p}", "Lebar {ld} Panjang {p}",
)
PRICE_STYLES = ("Rp {rp}", "{k}rb", "{k}k", "IDR {rp}", "harga {k}ribu", "Rp{rp},-", "{k}K aja", "cuma {k}rb")
SIZE_STYLES = ("size {s}", "uk {s}", "ukuran {s}", "Size: {s}", "sz {s}", "Uk. {s}", "SIZE {s}")

# Boilerplate templates copied by many sellers: lines drawn per template group
BOILERPLATE_LINES = (
    "SELAMAT DATANG DI TOKO KAMI", "SEMUA BARANG READY STOCK, LANGSUNG ORDER SAJA",
    "PENGIRIMAN SETIAP HARI SENIN-SABTU", "JAM OPERASIONAL 08.00-17.00 WIB",
    "BARANG YANG SUDAH DIBELI TIDAK DAPAT DIKEMBALIKAN", "WAJIB VIDEO UNBOXING UNTUK KLAIM KOMPLAIN",
    "Pesanan di atas jam 15.00 dikirim besok", "Tanyakan stok sebelum membeli",
    "Warna dapat sedikit berbeda karena pencahayaan", "Berikan bintang 5 jika puas dengan pelayanan kami",
    "Chat admin untuk pertanyaan seputar produk", "Barang dicek sebelum dikirim",
    "Kami tidak bertanggung jawab atas kesalahan ekspedisi", "Mohon cantumkan ukuran di catatan",
    "Harga sewaktu-waktu dapat berubah", "Terima kasih telah berbelanja di toko kami",
    "Produk 100% sesuai gambar", "Komplain maksimal 1x24 jam setelah barang diterima",
    "Toko buka setiap hari, pesanan diproses cepat", "Follow toko kami untuk promo menarik",
)

STREETS = (
    "Merdeka", "Sudirman", "Diponegoro", "Gatot Subroto", "Ahmad Yani", "Pahlawan", "Gajah Mada",
    "Hayam Wuruk", "Veteran", "Pemuda", "Kartini", "Cendrawasih", "Melati", "Anggrek", "Kenanga",
    "Mawar", "Flamboyan", "Cempaka", "Kebon Jeruk", "Pasar Baru", "Raya Bogor", "Kaliurang",
    "Imam Bonjol", "Teuku Umar", "Sisingamangaraja", "Hasanuddin", "Pattimura", "Juanda", "Siliwangi",
)
KELURAHAN = (
    "Sukajadi", "Cempaka Putih", "Kebon Kacang", "Margahayu", "Sukamaju", "Sidomulyo", "Tegalsari",
    "Kedungdoro", "Karangrejo", "Sumbersari", "Mekarsari", "Cilandak", "Pondok Labu", "Cibubur",
)
PHONE_PREFIXES = (
    "811", "812", "813", "821", "822", "823", "851", "852", "853", "814", "815", "816", "855", "856",
    "857", "858", "817", "818", "819", "859", "877", "878", "838", "831", "832", "833", "895", "896",
    "897", "898", "899", "881", "882", "883", "887", "888", "889",
)
BANKS = (("BCA", 10), ("BRI", 15), ("Mandiri", 13), ("BNI", 10), ("BSI", 10), ("CIMB Niaga", 13),
         ("Permata", 10), ("Danamon", 10), ("BTN", 16), ("Jago", 12), ("SeaBank", 12))
EWALLETS = ("DANA", "OVO", "GoPay", "ShopeePay")
EMAIL_DOMAINS = ("gmail.com", "gmail.com", "gmail.com", "gmail.com", "yahoo.com", "yahoo.co.id", "ymail.com",
                 "hotmail.com", "outlook.com", "icloud.com")
PLATFORMS = ("tokopedia", "shopee", "lazada", "bukalapak", "tiktokshop", "instagram", "facebook")
DIGIT_WORDS_NOL = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")
DIGIT_WORDS_KOSONG = ("kosong", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "lapan", "sembilan")
KEYCAPS = tuple(f"{d}\ufe0f\u20e3" for d in "0123456789")
