/**
 * Generates every registered partner simulator's org directory, fixtures/orgs/<partner id>.json, from
 * real city, district, street, university and employer names: each partner gets the provinces routed
 * to it by default, its orgs numbered its own way (its descriptor). Deterministic: the same script
 * always writes the same bytes, so the JSON is committed and reviewed like code.
 *
 *   npx tsx scripts/gen-org-fixtures.ts
 *
 * Names follow real usage, inconsistencies included: 共青团… and the long form 中国共产主义青年团…,
 * full-width （） and half-width () in the same directory, street 学社衔接临时团支部 for graduates not
 * yet placed. Each partner has its own org id style.
 */
import { writeFileSync } from 'node:fs';
import { builtInPartners, type PartnerRegistry } from '../adapters/registry.js';

interface FixtureOrg {
  orgId: string;
  fullName: string;
  provinceCode: string;
}

const words = (s: string): string[] => s.split(/\s+/).filter(Boolean);

/** A province: its cities, the districts and streets of a few of them, its universities and employers. */
interface Province {
  code: string;
  name: string;
  /** `city: district district …` — districts only for cities we list them for. */
  cities: string[];
  /** `city district: street street …` */
  streets: string[];
  universities: string;
  employers: string;
  /** Cities whose org names use the long form 中国共产主义青年团<province><city>… */
  longForm?: string[];
}

const GUANGDONG: Province = {
  code: '44',
  name: '广东省',
  cities: [
    '广州市: 荔湾区 越秀区 海珠区 天河区 白云区 黄埔区 番禺区 花都区 南沙区 从化区 增城区',
    '深圳市: 罗湖区 福田区 南山区 宝安区 龙岗区 盐田区 龙华区 坪山区 光明区',
    '珠海市: 香洲区 斗门区 金湾区',
    '汕头市: 龙湖区 金平区 濠江区 潮阳区 潮南区 澄海区 南澳县',
    '佛山市: 禅城区 南海区 顺德区 三水区 高明区',
    '韶关市: 武江区 浈江区 曲江区 始兴县 仁化县 翁源县 乳源瑶族自治县 新丰县 乐昌市 南雄市',
    '河源市: 源城区 紫金县 龙川县 连平县 和平县 东源县',
    '梅州市: 梅江区 梅县区 大埔县 丰顺县 五华县 平远县 蕉岭县 兴宁市',
    '惠州市: 惠城区 惠阳区 博罗县 惠东县 龙门县',
    '汕尾市: 城区 海丰县 陆河县 陆丰市',
    '东莞市: 莞城街道 南城街道 东城街道 万江街道 石龙镇 虎门镇 长安镇 常平镇 塘厦镇 松山湖功能区',
    '中山市: 石岐街道 东区街道 西区街道 南区街道 五桂山街道 火炬开发区 小榄镇 坦洲镇',
    '江门市: 蓬江区 江海区 新会区 台山市 开平市 鹤山市 恩平市',
    '阳江市: 江城区 阳东区 阳西县 阳春市',
    '湛江市: 赤坎区 霞山区 坡头区 麻章区 遂溪县 徐闻县 廉江市 雷州市 吴川市',
    '茂名市: 茂南区 电白区 高州市 化州市 信宜市',
    '肇庆市: 端州区 鼎湖区 高要区 广宁县 怀集县 封开县 德庆县 四会市',
    '清远市: 清城区 清新区 佛冈县 阳山县 连山壮族瑶族自治县 连南瑶族自治县 英德市 连州市',
    '潮州市: 湘桥区 潮安区 饶平县',
    '揭阳市: 榕城区 揭东区 揭西县 惠来县 普宁市',
    '云浮市: 云城区 云安区 新兴县 郁南县 罗定市',
  ],
  streets: [
    '广州市天河区: 五山街道 员村街道 车陂街道 沙河街道 石牌街道 沙东街道 天河南街道 林和街道 兴华街道 棠下街道 天园街道 猎德街道 冼村街道 元岗街道 黄村街道 龙洞街道 长兴街道 凤凰街道 前进街道 珠吉街道 新塘街道',
    '广州市越秀区: 北京街道 人民街道 东山街道 农林街道 梅花村街道 黄花岗街道 华乐街道 建设街道 大塘街道 珠光街道 大东街道 白云街道 登峰街道 矿泉街道 洪桥街道 流花街道 光塔街道 六榕街道',
    '广州市番禺区: 市桥街道 沙头街道 东环街道 桥南街道 小谷围街道 大石街道 洛浦街道 石壁街道 钟村街道 大龙街道',
    '深圳市南山区: 南头街道 南山街道 沙河街道 蛇口街道 招商街道 粤海街道 桃源街道 西丽街道',
    '深圳市福田区: 园岭街道 南园街道 福田街道 沙头街道 香蜜湖街道 梅林街道 莲花街道 华富街道 福保街道 华强北街道',
    '深圳市宝安区: 新安街道 西乡街道 航城街道 福永街道 福海街道 沙井街道 新桥街道 松岗街道 燕罗街道 石岩街道',
    '佛山市南海区: 桂城街道 九江镇 西樵镇 丹灶镇 狮山镇 大沥镇 里水镇',
    '珠海市香洲区: 拱北街道 吉大街道 翠香街道 狮山街道 香湾街道 梅华街道 前山街道 湾仔街道',
  ],
  universities:
    '中山大学 华南理工大学 暨南大学 华南师范大学 华南农业大学 广东工业大学 广州大学 南方医科大学 广州医科大学 广州中医药大学 广东外语外贸大学 广东财经大学 广东技术师范大学 广东药科大学 广州美术学院 星海音乐学院 广州体育学院 深圳大学 南方科技大学 香港中文大学（深圳） 深圳技术大学 汕头大学 广东海洋大学 广东医科大学 五邑大学 韶关学院 嘉应学院 惠州学院 韩山师范学院 岭南师范学院 肇庆学院 广东石油化工学院 东莞理工学院 佛山科学技术学院 仲恺农业工程学院 广东金融学院 广州航海学院 广东第二师范学院 北京理工大学(珠海) 电子科技大学中山学院 广州番禺职业技术学院 深圳职业技术大学 广东轻工职业技术学院 广州铁路职业技术学院 顺德职业技术学院 广东交通职业技术学院',
  employers:
    '广州地铁集团有限公司 广州汽车集团股份有限公司 广州医药集团有限公司 广东省广新控股集团有限公司 广东省交通集团有限公司 华为技术有限公司 腾讯科技（深圳）有限公司 比亚迪股份有限公司 美的集团股份有限公司 珠海格力电器股份有限公司 中国广核集团有限公司 招商局蛇口工业区控股股份有限公司 深圳市地铁集团有限公司 广州白云国际机场股份有限公司 广东电网有限责任公司 中国移动通信集团广东有限公司 中国平安保险(集团)股份有限公司 TCL科技集团股份有限公司 OPPO广东移动通信有限公司 维沃移动通信有限公司 广州珠江啤酒股份有限公司 广东省建筑工程集团控股有限公司',
};

const FUJIAN: Province = {
  code: '35',
  name: '福建省',
  longForm: ['福州市'],
  cities: [
    '福州市: 鼓楼区 台江区 仓山区 马尾区 晋安区 长乐区 闽侯县 连江县 罗源县 闽清县 永泰县 平潭县 福清市',
    '厦门市: 思明区 海沧区 湖里区 集美区 同安区 翔安区',
    '莆田市: 城厢区 涵江区 荔城区 秀屿区 仙游县',
    '三明市: 三元区 沙县区 明溪县 清流县 宁化县 大田县 尤溪县 将乐县 泰宁县 建宁县 永安市',
    '泉州市: 鲤城区 丰泽区 洛江区 泉港区 惠安县 安溪县 永春县 德化县 石狮市 晋江市 南安市',
    '漳州市: 芗城区 龙文区 龙海区 长泰区 云霄县 漳浦县 诏安县 东山县 南靖县 平和县 华安县',
    '南平市: 延平区 建阳区 顺昌县 浦城县 光泽县 松溪县 政和县 邵武市 武夷山市 建瓯市',
    '龙岩市: 新罗区 永定区 长汀县 上杭县 武平县 连城县 漳平市',
    '宁德市: 蕉城区 霞浦县 古田县 屏南县 寿宁县 周宁县 柘荣县 福安市 福鼎市',
  ],
  streets: [
    '福州市鼓楼区: 鼓东街道 鼓西街道 温泉街道 东街街道 南街街道 安泰街道 华大街道 水部街道 五凤街道 洪山镇',
    '福州市仓山区: 仓山镇 城门镇 盖山镇 建新镇 金山街道 上渡街道 下渡街道 对湖街道 临江街道',
    '厦门市思明区: 厦港街道 中华街道 滨海街道 鹭江街道 开元街道 梧村街道 筼筜街道 莲前街道 嘉莲街道 鼓浪屿街道',
    '厦门市湖里区: 湖里街道 殿前街道 禾山街道 江头街道 金山街道',
    '厦门市集美区: 集美街道 侨英街道 杏林街道 杏滨街道 灌口镇 后溪镇',
    '泉州市丰泽区: 东湖街道 丰泽街道 泉秀街道 清源街道 华大街道 城东街道 东海街道 北峰街道',
    '泉州市晋江市: 青阳街道 梅岭街道 西园街道 罗山街道 灵源街道 新塘街道 陈埭镇 安海镇',
    '福州市台江区: 瀛洲街道 后洲街道 义洲街道 新港街道 上海街道 苍霞街道 茶亭街道 洋中街道 鳌峰街道 宁化街道',
    '福州市晋安区: 茶园街道 王庄街道 象园街道 岳峰镇 鼓山镇 新店镇 宦溪镇',
    '漳州市芗城区: 东铺头街道 西桥街道 新桥街道 巷口街道 南坑街道 通北街道 浦南镇 天宝镇 芝山镇',
    '龙岩市新罗区: 东城街道 南城街道 西城街道 中城街道 东肖街道 曹溪街道 西陂街道 铁山镇 雁石镇',
    '宁德市蕉城区: 蕉南街道 蕉北街道 城南镇 漳湾镇 七都镇 八都镇',
    '莆田市城厢区: 凤凰山街道 霞林街道 龙桥街道 常太镇 华亭镇',
    '南平市延平区: 梅山街道 黄墩街道 紫云街道 四鹤街道 水南街道 水东街道',
    '三明市三元区: 城关街道 白沙街道 富兴堡街道 列东街道 列西街道 徐碧街道',
  ],
  universities:
    '厦门大学 福州大学 福建师范大学 福建农林大学 福建医科大学 福建中医药大学 华侨大学 集美大学 闽江学院 福建理工大学 厦门理工学院 莆田学院 三明学院 泉州师范学院 闽南师范大学 武夷学院 龙岩学院 宁德师范学院 福建江夏学院 福建警察学院 厦门医学院 仰恩大学 阳光学院 福州外语外贸学院 厦门华厦学院 福建船政交通职业学院 福建信息职业技术学院 黎明职业大学 厦门城市职业学院 泉州职业技术大学 厦门大学嘉庚学院 福州大学至诚学院 福建师范大学协和学院',
  employers:
    '宁德时代新能源科技股份有限公司 福建省能源集团有限责任公司 厦门建发集团有限公司 厦门国贸控股集团有限公司 兴业银行股份有限公司 福耀玻璃工业集团股份有限公司 安踏体育用品集团有限公司 紫金矿业集团股份有限公司 福建省电子信息（集团）有限责任公司 厦门航空有限公司 国网福建省电力有限公司 福建省高速公路集团有限公司 福州地铁集团有限公司 厦门轨道建设发展集团有限公司 福建三钢(集团)有限责任公司 中国移动通信集团福建有限公司',
};

/** The national system's provinces we hold orgs for (a subset is enough for a simulator). */
const NATIONAL_PROVINCES: Province[] = [
  {
    code: '12',
    name: '天津市',
    cities: [
      '天津市: 和平区 河东区 河西区 南开区 河北区 红桥区 东丽区 西青区 津南区 北辰区 武清区 宝坻区 滨海新区 宁河区 静海区 蓟州区',
    ],
    streets: [
      '天津市南开区: 长虹街道 鼓楼街道 兴南街道 广开街道 万兴街道 学府街道 向阳路街道 嘉陵道街道 王顶堤街道 水上公园街道 体育中心街道 华苑街道',
    ],
    universities:
      '南开大学 天津大学 天津医科大学 天津师范大学 天津工业大学 天津科技大学 天津财经大学 天津理工大学 天津外国语大学 天津城建大学',
    employers: '天津港(集团)有限公司 天津轨道交通集团有限公司 天津渤海化工集团有限责任公司',
  },
  {
    code: '31',
    name: '上海市',
    cities: [
      '上海市: 黄浦区 徐汇区 长宁区 静安区 普陀区 虹口区 杨浦区 闵行区 宝山区 嘉定区 浦东新区 金山区 松江区 青浦区 奉贤区 崇明区',
    ],
    streets: [
      '上海市杨浦区: 定海路街道 平凉路街道 江浦路街道 四平路街道 控江路街道 长白新村街道 延吉新村街道 殷行街道 大桥街道 五角场街道 新江湾城街道 长海路街道',
    ],
    universities:
      '复旦大学 上海交通大学 同济大学 华东师范大学 华东理工大学 东华大学 上海财经大学 上海外国语大学 上海大学 上海理工大学 上海师范大学 华东政法大学 上海海事大学 上海中医药大学 上海纽约大学',
    employers:
      '上海汽车集团股份有限公司 上海申通地铁集团有限公司 上海国际港务（集团）股份有限公司 上海浦东发展银行股份有限公司',
  },
  {
    code: '32',
    name: '江苏省',
    cities: [
      '南京市: 玄武区 秦淮区 建邺区 鼓楼区 浦口区 栖霞区 雨花台区 江宁区 六合区 溧水区 高淳区',
      '苏州市: 姑苏区 虎丘区 吴中区 相城区 吴江区 昆山市 常熟市 张家港市 太仓市',
      ...words('无锡市 徐州市 常州市 南通市 连云港市 淮安市 盐城市 扬州市 镇江市 泰州市 宿迁市'),
    ],
    streets: [
      '南京市鼓楼区: 宁海路街道 华侨路街道 湖南路街道 中央门街道 挹江门街道 江东街道 凤凰街道 下关街道 热河南路街道 幕府山街道 建宁路街道 宝塔桥街道 小市街道',
    ],
    universities:
      '南京大学 东南大学 南京航空航天大学 南京理工大学 河海大学 南京师范大学 苏州大学 江南大学 中国矿业大学 南京农业大学 中国药科大学 南京邮电大学 南京信息工程大学 扬州大学 西交利物浦大学',
    employers: '江苏省苏豪控股集团有限公司 徐工集团工程机械股份有限公司 南京地铁集团有限公司',
  },
  {
    code: '33',
    name: '浙江省',
    cities: [
      '杭州市: 上城区 拱墅区 西湖区 滨江区 萧山区 余杭区 临平区 钱塘区 富阳区 临安区 桐庐县 淳安县 建德市',
      ...words('宁波市 温州市 嘉兴市 湖州市 绍兴市 金华市 衢州市 舟山市 台州市 丽水市'),
    ],
    streets: [
      '杭州市西湖区: 北山街道 西溪街道 灵隐街道 翠苑街道 文新街道 古荡街道 西湖街道 留下街道 转塘街道 蒋村街道 三墩镇 双浦镇',
    ],
    universities:
      '浙江大学 浙江工业大学 浙江师范大学 宁波大学 杭州电子科技大学 浙江理工大学 浙江工商大学 中国美术学院 中国计量大学 浙江财经大学 杭州师范大学 温州医科大学 浙江中医药大学 西湖大学 宁波诺丁汉大学',
    employers:
      '阿里巴巴（中国）有限公司 浙江吉利控股集团有限公司 杭州海康威视数字技术股份有限公司 浙江省交通投资集团有限公司',
  },
  {
    code: '37',
    name: '山东省',
    cities: [
      '青岛市: 市南区 市北区 黄岛区 崂山区 李沧区 城阳区 即墨区 胶州市 平度市 莱西市',
      ...words(
        '济南市 淄博市 枣庄市 东营市 烟台市 潍坊市 济宁市 泰安市 威海市 日照市 临沂市 德州市 聊城市 滨州市 菏泽市',
      ),
    ],
    streets: [
      '青岛市市南区: 八大关街道 湛山街道 香港中路街道 八大峡街道 云南路街道 中山路街道 江苏路街道 金门路街道 珠海路街道 金湖路街道',
    ],
    universities:
      '山东大学 中国海洋大学 中国石油大学（华东） 山东师范大学 青岛大学 山东科技大学 济南大学 山东财经大学 青岛科技大学 山东农业大学 哈尔滨工业大学(威海)',
    employers: '海尔集团公司 青岛啤酒股份有限公司 山东能源集团有限公司 潍柴控股集团有限公司',
  },
  {
    code: '42',
    name: '湖北省',
    cities: [
      '武汉市: 江岸区 江汉区 硚口区 汉阳区 武昌区 青山区 洪山区 东西湖区 汉南区 蔡甸区 江夏区 黄陂区 新洲区',
      ...words(
        '黄石市 十堰市 宜昌市 襄阳市 鄂州市 荆门市 孝感市 荆州市 黄冈市 咸宁市 随州市 恩施土家族苗族自治州',
      ),
    ],
    streets: [
      '武汉市洪山区: 珞南街道 关山街道 狮子山街道 张家湾街道 梨园街道 卓刀泉街道 洪山街道 和平街道 青菱街道 九峰街道 花山街道 左岭街道',
    ],
    universities:
      '武汉大学 华中科技大学 武汉理工大学 华中师范大学 华中农业大学 中南财经政法大学 中国地质大学（武汉） 湖北大学 武汉科技大学 湖北工业大学 中南民族大学 江汉大学',
    employers: '东风汽车有限公司 武汉地铁集团有限公司 湖北交通投资集团有限公司',
  },
  {
    code: '51',
    name: '四川省',
    cities: [
      '成都市: 锦江区 青羊区 金牛区 武侯区 成华区 龙泉驿区 青白江区 新都区 温江区 双流区 郫都区 新津区',
      ...words(
        '自贡市 攀枝花市 泸州市 德阳市 绵阳市 广元市 遂宁市 内江市 乐山市 南充市 眉山市 宜宾市 广安市 达州市 雅安市 巴中市 资阳市 阿坝藏族羌族自治州 甘孜藏族自治州 凉山彝族自治州',
      ),
    ],
    streets: [
      '成都市武侯区: 浆洗街街道 望江路街道 玉林街道 跳伞塔街道 火车南站街道 华兴街道 红牌楼街道 簇桥街道 机投桥街道 晋阳街道 金花桥街道',
    ],
    universities:
      '四川大学 电子科技大学 西南交通大学 西南财经大学 四川农业大学 西南民族大学 成都理工大学 西华大学 四川师范大学 成都信息工程大学 西南石油大学 成都中医药大学',
    employers: '四川长虹电子控股集团有限公司 成都轨道交通集团有限公司 四川省交通投资集团有限责任公司',
  },
  {
    code: '61',
    name: '陕西省',
    cities: [
      '西安市: 新城区 碑林区 莲湖区 灞桥区 未央区 雁塔区 阎良区 临潼区 长安区 高陵区 鄠邑区 蓝田县 周至县',
      ...words('铜川市 宝鸡市 咸阳市 渭南市 延安市 汉中市 榆林市 安康市 商洛市'),
    ],
    streets: [
      '西安市雁塔区: 小寨路街道 大雁塔街道 长延堡街道 电子城街道 等驾坡街道 鱼化寨街道 丈八沟街道 曲江街道 杜城街道 漳浒寨街道',
    ],
    universities:
      '西安交通大学 西北工业大学 西安电子科技大学 西北大学 陕西师范大学 长安大学 西北农林科技大学 西安建筑科技大学 西安理工大学 西北政法大学 西安外国语大学',
    employers: '陕西延长石油(集团)有限责任公司 陕西煤业化工集团有限责任公司 西安地铁集团有限公司',
  },
];

/** The five national sectors (codes 91–95), with their real member organisations. */
const SECTORS: { code: string; orgs: string }[] = [
  {
    code: '91', // 全国铁道
    orgs: '中国国家铁路集团有限公司 中国铁路北京局集团有限公司 中国铁路上海局集团有限公司 中国铁路广州局集团有限公司 中国铁路成都局集团有限公司 中国铁路郑州局集团有限公司 中国铁路武汉局集团有限公司 中国铁路西安局集团有限公司 中国铁路济南局集团有限公司 中国铁路南昌局集团有限公司 中国铁路南宁局集团有限公司 中国铁路昆明局集团有限公司 中国铁路沈阳局集团有限公司 中国铁路哈尔滨局集团有限公司 中国铁路呼和浩特局集团有限公司 中国铁路兰州局集团有限公司 中国铁路乌鲁木齐局集团有限公司 中国铁路太原局集团有限公司 中国铁路青藏集团有限公司 中国铁路北京局集团有限公司北京西站 中国铁路上海局集团有限公司上海动车段 中国铁路广州局集团有限公司广州南站 中国铁道科学研究院集团有限公司 中国铁路经济规划研究院有限公司',
  },
  {
    code: '92', // 全国民航
    orgs: '中国民用航空局直属机关 中国航空集团有限公司 中国东方航空集团有限公司 中国南方航空集团有限公司 中国航空油料集团有限公司 中国航空器材集团有限公司 中国民航大学 中国民用航空飞行学院 首都机场集团有限公司 中国民用航空华北地区管理局 中国民用航空华东地区管理局 中国民用航空中南地区管理局 中国民用航空西南地区管理局 中国民用航空西北地区管理局 中国民用航空东北地区管理局 中国民用航空新疆管理局 中国民用航空局空中交通管理局 中国民航信息集团有限公司 中国国际航空股份有限公司 中国南方航空股份有限公司(广州)',
  },
  {
    code: '93', // 中央和国家机关
    orgs: '中央和国家机关工作 外交部 国家发展和改革委员会直属机关 教育部直属机关 科学技术部直属机关 工业和信息化部直属机关 财政部直属机关 人力资源和社会保障部直属机关 自然资源部直属机关 生态环境部直属机关 交通运输部直属机关 水利部直属机关 农业农村部直属机关 商务部直属机关 文化和旅游部直属机关 国家卫生健康委员会直属机关 海关总署直属机关 国家税务总局直属机关 国家市场监督管理总局机关 国家统计局直属机关 中国科学院直属机关 中国社会科学院 中国工程院机关 新华通讯社 中央广播电视总台 中国气象局直属机关',
  },
  {
    code: '94', // 中央金融
    orgs: '中国人民银行 国家金融监督管理总局 中国证券监督管理委员会 国家外汇管理局 中国工商银行股份有限公司 中国农业银行股份有限公司 中国银行股份有限公司 中国建设银行股份有限公司 交通银行股份有限公司 中国邮政储蓄银行股份有限公司 国家开发银行 中国进出口银行 中国农业发展银行 中国人寿保险（集团）公司 中国人民保险集团股份有限公司 中国中信集团有限公司 中国光大集团股份公司 中国投资有限责任公司 中国出口信用保险公司 中国银河金融控股有限责任公司 中国工商银行股份有限公司北京市分行 中国银行股份有限公司广东省分行 中国建设银行股份有限公司上海市分行 中国农业银行股份有限公司四川省分行',
  },
  {
    code: '95', // 中央企业
    orgs: '国家电网有限公司 中国石油天然气集团有限公司 中国石油化工集团有限公司 中国海洋石油集团有限公司 中国移动通信集团有限公司 中国电信集团有限公司 中国联合网络通信集团有限公司 中国航天科技集团有限公司 中国航天科工集团有限公司 中国航空工业集团有限公司 中国船舶集团有限公司 中国兵器工业集团有限公司 中国电子科技集团有限公司 中国建筑集团有限公司 中国铁路工程集团有限公司 中国铁道建筑集团有限公司 中国交通建设集团有限公司 中国宝武钢铁集团有限公司 中国中化控股有限责任公司 国家能源投资集团有限责任公司 中国华能集团有限公司 中国大唐集团有限公司 中国华电集团有限公司 国家电力投资集团有限公司 中国长江三峡集团有限公司 中国第一汽车集团有限公司 东风汽车集团有限公司 中国中车集团有限公司 招商局集团有限公司 华润(集团)有限公司 中国商用飞机有限责任公司 中国核工业集团有限公司 中国南方电网有限责任公司 中国远洋海运集团有限公司 中国五矿集团有限公司 中粮集团有限公司 中国建材集团有限公司 中国电力建设集团有限公司 中国能源建设集团有限公司 国家电网有限公司华北分部',
  },
];

/** Every org name of a province, in a fixed order. */
function provinceNames(p: Province): string[] {
  const prefix = (city: string): string =>
    p.longForm?.includes(city) ? `中国共产主义青年团${p.name}${city}` : `共青团${city}`;
  const names = [`共青团${p.name}委员会`];
  for (const line of p.cities) {
    const [city = '', districts = ''] = line.split(':');
    // Municipalities (天津市, 上海市) are their own province: no separate city committee.
    if (city !== p.name) names.push(`${prefix(city)}委员会`);
    for (const d of words(districts)) {
      names.push(
        d.endsWith('街道') || d.endsWith('镇')
          ? `${prefix(city)}${d}工作委员会`
          : `${prefix(city)}${d}委员会`,
      );
    }
  }
  for (const line of p.streets) {
    const [where = '', streets = ''] = line.split(':');
    const city = p.longForm?.find((c) => where.startsWith(c));
    const base = city ? `中国共产主义青年团${p.name}${where}` : `共青团${where}`;
    for (const s of words(streets)) names.push(`${base}${s}学社衔接临时团支部`);
  }
  for (const u of words(p.universities)) names.push(`共青团${u}委员会`);
  for (const e of words(p.employers)) names.push(`共青团${e}委员会`);
  return names;
}

function number(names: string[], code: string, style: (code: string, n: number) => string): FixtureOrg[] {
  const seen = new Set<string>();
  return names
    .filter((n) => !seen.has(n) && seen.add(n))
    .map((fullName, i) => ({ orgId: style(code, i + 1), fullName, provinceCode: code }));
}

/** Every province (and sector) whose org names we know, in a fixed order. */
const PROVINCES: readonly Province[] = [GUANGDONG, FUJIAN, ...NATIONAL_PROVINCES];

/**
 * Each registered partner's directory: the orgs of the provinces (and national sectors) routed to it
 * by default, numbered the partner's own way (its descriptor's directoryId). A new partner gets its
 * directory from its descriptor alone.
 */
export function generate(registry: PartnerRegistry = builtInPartners): Record<string, FixtureOrg[]> {
  const routes = registry.routes();
  const servedBy = (code: string) => routes.table[code] ?? routes.rest;
  return Object.fromEntries(
    registry.all().map((d) => [
      d.id,
      [
        ...PROVINCES.filter((p) => servedBy(p.code) === d.id).flatMap((p) =>
          number(provinceNames(p), p.code, (code, n) => d.directoryId(code, n)),
        ),
        ...SECTORS.filter((s) => servedBy(s.code) === d.id).flatMap((s) =>
          number(
            words(s.orgs).map((o) => `共青团${o}委员会`),
            s.code,
            (code, n) => d.directoryId(code, n),
          ),
        ),
      ],
    ]),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [target, orgs] of Object.entries(generate())) {
    const file = new URL(`../fixtures/orgs/${target}.json`, import.meta.url);
    // One org per line: readable diffs when a name is added.
    writeFileSync(file, `[\n${orgs.map((o) => `  ${JSON.stringify(o)}`).join(',\n')}\n]\n`);
    console.log(`${target}: ${orgs.length} orgs`);
  }
}
