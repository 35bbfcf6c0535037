// The page's words, Chinese first (zh-CN) and English second. Every text a
// page shows comes from this table by key; `t(key)` gives it in the chosen
// language (the Chinese when no English is written).

const WORDS = {
  'brand': ['空气质量', 'Air quality'],
  'dev.disable': ['停用', 'Disable'], 'dev.enable': ['启用', 'Enable'], 'dev.add': ['添加或修改设备', 'Add or change a device'],
  'dev.password': ['密码', 'Password'], 'dev.site': ['站点编码', 'Site code'], 'dev.sitename': ['站点名称', 'Site name'],
  'dev.save': ['保存', 'Save'], 'dev.upload': ['批量导入 CSV：', 'Import a CSV:'], 'dev.added': ['已保存', 'Saved'],
  'dev.imported': ['已导入', 'Imported'], 'dev.refused': ['拒收', 'refused'], 'dev.row': ['第', 'row'],
  'fw.title': ['数据转发（上级平台）', 'Forwarding to the upper platforms'], 'fw.name': ['名称', 'Name'], 'fw.target': ['地址', 'Address'],
  'fw.sent': ['已发送', 'Sent'], 'fw.acked': ['已确认', 'Acknowledged'], 'fw.resent': ['重发', 'Re-sent'], 'fw.backlog': ['积压', 'Backlog'],
  'fw.lag': ['滞后', 'Lag'], 'fw.error': ['最近错误', 'Last error'],
  'rv.title': ['数据审核记录', 'Data review'], 'rv.raw': ['原始数据（未审核）', 'Raw data (not reviewed)'],
  'rv.how': ['统计数据默认采用审核数据：标记为无效的时段（校准、故障、其他）不参与任何统计；沙尘时段按规定扣除；烟花爆竹时段默认保留。勾选“原始数据”查看未审核结果。',
    'Figures use reviewed data by default: hours marked invalid (calibration, fault, other) leave every statistic; sand-dust hours are deducted as the rules say; fireworks hours are kept by default. Tick "raw data" for the unreviewed figures.'],
  'rv.hours': ['时段', 'Hours'], 'rv.pollutant': ['污染物', 'Pollutant'], 'rv.reason': ['原因', 'Reason'], 'rv.note': ['说明', 'Note'],
  'rv.by': ['审核人', 'By'], 'rv.all': ['全部污染物', 'all pollutants'], 'rv.event': ['（例外事件）', '(exceptional event)'],
  'rv.active': ['生效', 'in force'], 'rv.restored': ['已恢复', 'restored'], 'rv.restore': ['恢复', 'Restore'],
  'rv.restorewhy': ['恢复原因：', 'Why do these hours count again?'], 'rv.none': ['该站没有审核标记。', 'No review mark at this station.'],
  'rv.mark': ['标记无效时段', 'Mark hours'], 'rv.from': ['起（北京时间）', 'From (Beijing)'], 'rv.to': ['止', 'To'],
  'rv.evidence': ['依据（记录编号、通知、链接）', 'Evidence (record no., notice, link)'], 'rv.submit': ['提交标记', 'Mark'],
  'rv.r.calibration': ['校准', 'calibration'], 'rv.r.fault': ['故障', 'fault'], 'rv.r.sand_dust': ['沙尘', 'sand and dust'],
  'rv.r.fireworks': ['烟花爆竹', 'fireworks'], 'rv.r.other': ['其他', 'other'],
  'nav.overview': ['总览', 'Overview'], 'nav.targets': ['目标进度', 'Targets'], 'nav.station': ['站点', 'Stations'],
  'nav.ranking': ['排名', 'Ranking'], 'nav.devices': ['设备', 'Devices'], 'nav.public': ['公众', 'Public'],
  'logout': ['退出', 'Log out'], 'loading': ['加载中…', 'Loading…'],
  'footer': ['时间均为北京时间（Asia/Shanghai）。', 'All times are Beijing time (Asia/Shanghai).'],
  'login.title': ['登录', 'Log in'], 'login.user': ['用户名', 'User name'], 'login.pass': ['密码', 'Password'],
  'login.go': ['登录', 'Log in'], 'login.public': ['公众页面（无需登录）', 'Public page (no login)'], 'login.failed': ['登录失败', 'Login failed'],
  'area': ['全县当前', 'County now'], 'primary': ['首要污染物', 'Primary pollutant'], 'none': ['无', 'none'],
  'advice': ['建议措施', 'Advice'], 'health': ['健康影响', 'Health effect'], 'asof': ['数据时间', 'Data hour'],
  'map': ['站点当前 AQI', 'Stations by current AQI'], 'last24': ['近 24 小时（全县 AQI）', 'Last 24 hours (area AQI)'],
  'stations': ['站点', 'Stations'], 'station': ['站点', 'Station'],
  'nodata': ['暂无数据：尚无站点上报。设备上传后即在此显示。', 'No data yet: no station has reported. Devices appear here once they upload.'],
  'targets': ['目标进度', 'Targets'], 'pm25ytd': ['PM2.5 年累计均值', 'PM2.5 year to date'], 'target': ['目标', 'target'],
  'goodratio': ['优良天数比例', 'Good-day ratio'], 'heavy': ['重度及以上污染天数', 'Heavy-or-worse days'],
  'remaining': ['今年剩余允许', 'Still allowed this year'], 'months': ['逐月 PM2.5（µg/m³）', 'Month by month PM2.5 (µg/m³)'],
  'thisyear': ['今年', 'this year'], 'lastyear': ['去年', 'last year'], 'hourly': ['逐时浓度（近 7 天）', 'Hourly, last 7 days'],
  'calendar': ['日 AQI 日历', 'Daily AQI calendar'], 'rank': ['排名', 'Ranking'], 'composite': ['综合指数', 'Composite index'],
  'yoy': ['同比', 'vs last year'], 'pm25': ['PM2.5 均值', 'PM2.5 mean'], 'devices': ['设备', 'Devices'],
  'online': ['在线', 'online'], 'offline': ['离线', 'offline'], 'intake': ['接口/导入', 'push/import'], 'lastseen': ['最后上报', 'Last seen'], 'kind': ['类型', 'Kind'],
  'protocol': ['协议', 'Protocol'], 'loggers': ['待批准的 HJ 212-2025 数采仪', 'HJ 212-2025 loggers awaiting approval'],
  'approve': ['批准', 'Approve'], 'mn': ['MN', 'MN'], 'nologgers': ['没有待批准的数采仪。', 'No logger is waiting.'],
  'forbidden': ['无权访问：设备管理仅限生态环境局和管理员。', 'Not allowed: this page is for the bureau and admins.'],
  'public.title': ['实时空气质量', 'Air quality now'], 'approved': ['已批准', 'Approved'], 'state': ['状态', 'State'],
  'site': ['站点', 'Site'], 'days': ['天', 'days'], 'ugm3': ['µg/m³', 'µg/m³'],
  'mean_allowed': ['全年其余时段允许均值', 'mean allowed for the rest of the year'], 'choose': ['站点', 'Station'],
  'norank': ['暂无可排名的年份', 'No year with data yet.'], 'township': ['乡镇', 'Township'],
  'rose': ['污染玫瑰图（各风向 PM2.5 均值）', 'Pollution rose (PM2.5 mean by wind direction)'],
  'norose': ['该站没有风向数据（a01008），无法绘制污染玫瑰图。', 'This station reports no wind direction (a01008): no pollution rose.'],
  'computing': ['正在计算统计数据，请稍候…', 'Computing the figures, one moment…'], 'export': ['导出', 'Export'],
  'towns': ['乡镇排名', 'Townships'], 'nstations': ['站点数', 'Stations'], 'notowns': ['站点尚未标注所属乡镇。', 'No station has a township yet.'],
  'loggerid': ['数采仪编号', 'Logger id'], 'peer': ['来源地址', 'From'], 'assign': ['分配 MN 并批准', 'Assign an MN and approve'],
  'latestdata': ['最新数据时间', 'Latest data'], 'stored24': ['24 小时入库', 'Stored (24 h)'], 'flagged': ['标记值', 'Flagged'],
  'rejected': ['拒收', 'Rejected'], 'quarantined': ['隔离', 'Quarantined'],
  'badframes': ['最近拒收和隔离的报文', 'Latest rejected and quarantined frames'], 'nobad': ['没有拒收或隔离的报文。', 'No rejected or quarantined frame.'],
  'rank.none': ['综合指数要求六项污染物统计均有效（有效天数不少于期间天数的 324/365），目前尚不满足，暂不排名；PM2.5 与优良天数比例照常列出。',
    'The composite index needs all six pollutants valid (valid days at least 324/365 of the period); not yet, so no rank. PM2.5 and the good-day ratio are listed.'],
  'english': ['English', '中文'],
  'nav.sources': ['污染源', 'Sources'], 'nav.alarms': ['报警', 'Alarms'],
  'src.sample': ['示例企业：以下企业、排口与监测数据均为合成的示例，并非泌阳县真实企业；乡镇名单取自第三方资料，未经核实。', 'Sample firms: these firms, outlets and stack data are synthetic, not real Biyang firms; the township list is from a third-party listing, unverified.'],
  'src.sampletag': ['示例', 'sample'], 'src.firms': ['涉气企业名录', 'Enterprise register'], 'src.export': ['导出 Excel', 'Export Excel'],
  'src.template': ['导入模板', 'Import template'], 'src.alltowns': ['全部乡镇', 'All townships'], 'src.search': ['名称或信用代码', 'Name or credit code'],
  'src.import': ['导入名录（xlsx）', 'Import register (xlsx)'], 'src.imported': ['已导入', 'Imported'], 'src.new': ['家新增', 'new'],
  'src.changed': ['家变更', 'changed'], 'src.same': ['家未变', 'unchanged'], 'src.sheet': ['工作表', 'Sheet'], 'src.row': ['行', 'Row'],
  'src.column': ['列', 'Column'], 'src.why': ['原因', 'Why'], 'src.name': ['企业', 'Firm'], 'src.industry': ['行业', 'Industry'],
  'src.grade': ['绩效分级', 'Grade'], 'src.whitelist': ['白名单', 'White list'], 'src.outlets': ['排口', 'Outlets'],
  'src.online': ['有数据', 'Reporting'], 'src.alarms': ['未处理报警', 'Open alarms'], 'src.none': ['名录中还没有企业。', 'No firm in the register yet.'],
  'src.forbidden': ['无权访问：企业名录仅限生态环境局、部门、所属乡镇和企业本身。', 'Not allowed: the register is for the bureau, departments, a firm\'s township and the firm itself.'],
  'src.hour': ['时段（小时末）', 'Hour ending'], 'src.measured': ['实测', 'measured'],
  'src.corrnote': ['有基准氧含量的限值按折算浓度显示（鼠标悬停看实测值）；超过限值标红；上标为数据标记。', 'Values with a reference O2 are shown corrected (hover for measured); red: above the limit; superscript: the data flag.'],
  'src.nohours': ['暂无小时数据。', 'No hours yet.'], 'src.code': ['统一社会信用代码', 'Credit code'], 'src.permit': ['排污许可证', 'Permit'],
  'src.updated': ['最后修改', 'Last changed'], 'src.noalarms': ['没有报警。', 'No alarm.'], 'src.live': ['排口在线数据', 'Outlets online'],
  'src.nolive': ['没有联网排口的数据。', 'No data from a connected outlet.'], 'src.meters': ['分表计电', 'Electricity meters'], 'src.meter': ['电表', 'Meter'],
  'src.role': ['类别', 'Role'], 'src.rated': ['额定功率 kW', 'Rated kW'], 'src.recent': ['最近时段', 'Latest windows'], 'src.limits': ['排放限值', 'Emission limits'],
  'src.outlet': ['排口', 'Outlet'], 'src.factor': ['因子', 'Factor'], 'src.limit': ['限值', 'Limit'], 'src.refo2': ['基准氧 %', 'Ref O2 %'],
  'src.standard': ['执行标准', 'Standard'], 'src.changes': ['修改记录', 'Changes'], 'src.rule': ['类型', 'Rule'], 'src.period': ['时段', 'Period'],
  'src.max': ['最大值', 'Max'], 'src.rulever': ['规则版本', 'Rule version'], 'src.opened': ['报警时间', 'Raised'], 'src.note': ['说明（原因、整改措施）', 'Note (cause, what was done)'],
  'src.ack': ['确认', 'Acknowledge'], 'src.explain': ['提交说明', 'Explain'], 'src.return': ['退回说明', 'Return'], 'src.close': ['关闭', 'Close'],
  'src.attach': ['上传佐证（PDF/PNG/JPEG，≤2 MB）', 'Attach proof (PDF/PNG/JPEG, ≤ 2 MB)'], 'src.evidence': ['判定依据', 'Evidence'],
  'nav.alerts': ['应急', 'Alerts'],
  'al.sample': ['示例：预报与预警为演示用的合成数据，并非泌阳县真实预警。', 'Sample: the forecasts and alerts are synthetic, not real Biyang alerts.'],
  'al.none': ['当前无重污染天气预警', 'No heavy-pollution alert in force'], 'al.since': ['自', 'since'], 'al.nobasis': ['无预报依据', 'no basis'],
  'al.forecast': ['空气质量预报', 'Forecast'], 'al.noforecast': ['尚无预报。', 'No forecast yet.'], 'al.rules': ['按规则', 'By the rules'],
  'al.notcounted': ['不计入（臭氧或沙尘）', 'Not counted (O3 or dust)'], 'al.suggested': ['按预报建议调整为', 'The forecast suggests'],
  'al.noalert': ['没有进行中的预警', 'No alert under way'], 'al.batch': ['预报批次', 'forecast'], 'al.propose': ['按预报拟启动', 'Propose from the forecast:'],
  'al.notice': ['按上级通知', 'From a notice'], 'al.city': ['市级', 'City'], 'al.province': ['省级', 'Province'], 'al.county': ['县级', 'County'],
  'al.consult': ['会商', 'Consultation'], 'al.fromnotice': ['拟启动', 'Propose'], 'al.docno': ['文号', 'Document number'],
  'al.newlevel': ['调整级别', 'New level'], 'al.reason': ['理由（驳回、调整、解除须填写）', 'Reason (to reject, adjust or lift)'],
  'al.approve': ['批准', 'Approve'], 'al.reject': ['驳回', 'Reject'], 'al.issue': ['发布', 'Issue'], 'al.adjust': ['调整级别', 'Adjust'], 'al.lift': ['解除', 'Lift'],
  'al.enter': ['录入预报', 'Enter a forecast'], 'al.save': ['保存预报', 'Save forecast'], 'al.all': ['预警记录', 'Alerts'],
  'al.s.propose': ['拟启动', 'Proposed'], 'al.s.approve': ['批准', 'Approved'], 'al.s.reject': ['驳回', 'Rejected'], 'al.s.issue': ['发布', 'Issued'],
  'al.measures': ['重污染天气应急减排措施（一厂一策）', 'Emergency measures by alert level'], 'al.inforce': ['现行预警级别', 'in force'],
  'al.s.adjust': ['调整', 'Adjusted'], 'al.s.lift': ['解除', 'Lifted'], 'al.public': ['重污染天气预警', 'Heavy-pollution alert'],
  'nav.tickets': ['工单', 'Tickets'], 'nav.report': ['举报', 'Report'],
  'tk.sample': ['示例工单：以下工单为演示用的合成数据，并非真实案件。', 'Sample tickets: synthetic cases for the demo, not real ones.'],
  'tk.title': ['标题', 'Title'], 'tk.description': ['问题描述', 'Description'], 'tk.source': ['来源', 'Source'], 'tk.severity': ['紧急程度', 'Severity'],
  'tk.assignee': ['承办单位', 'Assignee'], 'tk.due': ['办结时限', 'Due'], 'tk.escalation': ['督办', 'Escalation'], 'tk.overdue': ['超期', 'Overdue'],
  'tk.new': ['待交办', 'New'], 'tk.assigned': ['已交办', 'Assigned'], 'tk.rectifying': ['整改中', 'Rectifying'], 'tk.reviewing': ['待复核', 'Reviewing'],
  'tk.closed': ['已销号', 'Closed'], 'tk.unfounded': ['不属实', 'Unfounded'], 'tk.real': ['属实', 'Real'],
  'tk.allsources': ['全部来源', 'All sources'], 'tk.src.manual': ['人工录入', 'Manual'], 'tk.src.public_report': ['群众举报', 'Public report'],
  'tk.src.source_alarm': ['污染源报警', 'Source alarm'], 'tk.src.alert_violation': ['预警违规', 'Alert violation'], 'tk.src.fire_point': ['火点', 'Fire point'],
  'tk.src.station_hotspot': ['站点热点', 'Station hot spot'], 'tk.none': ['没有符合条件的工单。', 'No ticket matches.'],
  'tk.inbox': ['我的消息', 'My inbox'], 'tk.unread': ['未读', 'unread'], 'tk.markread': ['全部标为已读', 'Mark all read'],
  'tk.open': ['立案', 'Open ticket'], 'tk.newticket': ['新建工单', 'New ticket'], 'tk.byrule': ['按规则', 'by the rules'], 'tk.actions': ['办理', 'Act'],
  'tk.note': ['办理意见（核查情况、整改措施、退回或延期理由、答复）', 'Note (findings, what was done, why returned or extended, the answer)'],
  'tk.a.assign': ['交办', 'Assign'], 'tk.a.verify': ['提交核查结果', 'Verify'], 'tk.a.feedback': ['反馈整改情况', 'Feed back'], 'tk.a.accept': ['复核通过（销号）', 'Accept (close)'],
  'tk.a.return': ['退回重办', 'Return'], 'tk.a.comment': ['备注', 'Comment'], 'tk.a.reassign': ['改派', 'Reassign'], 'tk.a.extend': ['批准延期', 'Extend'],
  'tk.before': ['整改前照片', 'Photo before'], 'tk.after': ['整改后照片', 'Photo after'], 'tk.document': ['文件', 'Document'],
  'tk.timeline': ['办理经过', 'Timeline'], 'tk.where': ['地点', 'Where'], 'tk.contact': ['举报人', 'Reporter'], 'tk.anonymous': ['未留姓名', 'no name'],
  'tk.contactnote': ['（加密保存，仅生态环境分局可见，严禁泄露）', '(sealed; shown to the bureau only; never to be passed on)'], 'tk.extended': ['已延期', 'extended'],
  'rp.title': ['生态环境问题举报', 'Report an environmental problem'], 'rp.category': ['问题类型', 'Category'],
  'rp.description': ['请描述看到的情况：时间、地点、单位、现象（至少 5 个字）', 'What did you see: when, where, who, what (at least 5 characters)'],
  'rp.address': ['地址（如：泌阳县某镇某村某路口）', 'Address'], 'rp.pick': ['在地图上点击选择位置，或使用手机定位。', 'Click the map to pick the place, or use your location.'],
  'rp.lon': ['经度', 'Longitude'], 'rp.lat': ['纬度', 'Latitude'], 'rp.locate': ['使用我的位置', 'Use my location'], 'rp.photo': ['照片（可选）', 'Photo (optional)'],
  'rp.contact': ['联系方式（可选，可匿名）', 'Contact (optional: you may stay anonymous)'], 'rp.name': ['姓名', 'Name'], 'rp.phone': ['手机号', 'Phone'],
  'rp.privacy': ['联系方式加密保存，仅生态环境部门可见，不向被举报单位和承办人员公开。匿名举报同样受理，但无法回访。', 'Your contact is sealed and seen by the bureau only, never by the firm reported or the handlers. Anonymous reports are taken too, but cannot be called back.'],
  'rp.send': ['提交举报', 'Send'], 'rp.follow': ['查询办理进度', 'Follow a report'], 'rp.code': ['查询编号', 'Tracking code'], 'rp.check': ['查询', 'Look up'],
  'rp.submitted': ['提交于', 'sent'], 'rp.photos': ['张照片', 'photos'], 'rp.answer': ['办理答复', 'Answer'],
  'rp.keep': ['请保存查询编号，凭编号查询办理进度。', 'Keep the code: it is the only way to follow the report.'], 'rp.another': ['再举报一件', 'Report another'],
  'rp.photofail': ['照片未能上传，举报已受理。', 'The photo could not be sent; the report was taken.'],
  'src.history': ['处理记录', 'History'], 'src.grades': ['绩效分级记录', 'Grade history'], 'src.nograde': ['未申报绩效分级：按短板原则计为本行业最低级别。', 'Never graded: counts as its industry\'s lowest grade (short-board rule).'], 'src.valid': ['有效期', 'Valid'], 'src.doc': ['文号', 'Document'], 'src.files': ['附件', 'Attachments'], 'src.open': ['待处理报警', 'Alarms to deal with'], 'src.done': ['已关闭', 'Closed'],
};

export let lang = localStorage.getItem('lantian.lang') === 'en' ? 'en' : 'zh';

/** The word of `key` in the chosen language. */
export function t(key) {
  const w = WORDS[key];
  if (!w) return key;
  return lang === 'en' && w[1] ? w[1] : w[0];
}

/** Switches the language (kept for the next visit) and relabels the shell. */
export function switchLang() {
  lang = lang === 'en' ? 'zh' : 'en';
  localStorage.setItem('lantian.lang', lang);
  applyLang();
}

/** Writes the words of the shell's `data-t` elements. */
export function applyLang() {
  document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
  document.querySelectorAll('[data-t]').forEach(el => { el.textContent = t(el.dataset.t); });
}

/** A level's category in the chosen language. */
export function category(x) { return lang === 'en' ? x.category_en : x.category_zh; }
