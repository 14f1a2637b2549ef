#!/usr/bin/env node
// An SMSC for the integration tests, the soak and fault suite and the SMPP benchmark. The SMPP 3.4
// protocol (PDU encoding, sessions, binds) is the npm `smpp` package's server; this file only
// decides what the SMSC answers: a message id per submit_sm (or an error status), then a
// delivery receipt (deliver_sm with esm_class 0x04) in the forms real SMSCs use.
//
//   node server.js --port 2775 [--system-id test --password secret] [--id-format hex|decimal]
//        [--receipt-id same|decimal] [--tlv 1|0] [--early] [--early-every N] [--lowercase]
//        [--dlr-delay 50] [--rule 13=UNDELIV:001 ...] [--reject 0099=0x0B ...]
//        [--throttle-every N] [--duplicate-every N] [--late-every N --late-ms M]
//        [--receipt-text copy|none] [--start-id N] [--log submits.jsonl]
//        [--rejects-log rejects.jsonl] [--spool receipts.json] [--retry-delay 500]
//        [--reply SUFFIX=TEXT ...] [--reply-sar]
//
// --reply SUFFIX=TEXT: the phone of a number ending in SUFFIX answers each message (its last
//   part) with TEXT, a mobile-originated deliver_sm (esm_class 0) a little after the receipt,
//   from the number (international, no +) to the message's sender. ASCII up to 160 characters
//   goes in one PDU (data_coding 0); anything else as UCS-2 (data_coding 8), a long one in
//   segments of 67 units with a concatenation UDH (esm_class 0x40), the last segment first;
//   --reply-sar: the segments say so in SAR TLVs instead of a UDH. Acknowledged like receipts
//   (sent again after an error status or on another bind).
// --receipt-id decimal: the receipt names the id in decimal when submit_sm_resp gave it in hex.
// --early: every receipt is sent before the submit_sm_resp that carries the id;
//   --early-every N: every Nth one is.
// --rule SUFFIX=STAT:ERR: numbers ending in SUFFIX get that outcome (default DELIVRD:000).
// --reject SUFFIX=STATUS: submit_sm to numbers ending in SUFFIX is answered with that command
//   status (hex or decimal, e.g. 0x0B ESME_RINVDSTADR); no id, no receipt; logged to the
//   rejects log, not the submits log.
// --throttle-every N: every Nth submit_sm is answered ESME_RTHROTTLED (logged as a reject).
// --duplicate-every N: every Nth receipt is sent twice. --late-every N --late-ms M: every Nth
//   receipt comes M ms after the submit instead of --dlr-delay.
// --receipt-text copy (default, as real SMSCs do): the receipt's `text:` carries the first 20
//   characters of the part in the part's own bytes: GSM 03.38 septets (one byte each, '@' is
//   0x00) or, for UCS-2, UTF-16-BE (full of NUL bytes, a surrogate pair may be cut) with the
//   deliver_sm's data_coding 8. --receipt-text none: an empty `text:`.
// --start-id N: the first message id is N + 1 (default 0x1000a0); a restarted SMSC starts
//   again from it, so ids are reused, as real ones do.
// --spool FILE: receipts not yet acknowledged when the SMSC stops (SIGTERM/SIGINT) are written
//   there and sent after the next start, as an SMSC with a store does. A receipt not
//   acknowledged on a bind that closes is sent again on another bind.
'use strict';
const fs = require('fs');
const smpp = require('smpp');

function parseStatus(value) {
	return value.toLowerCase().startsWith('0x') ? parseInt(value, 16) : Number(value);
}

function parseArgs(argv) {
	const opts = { port: 2775, host: '127.0.0.1', systemId: 'test', password: 'secret', idFormat: 'hex',
		receiptId: 'same', tlv: true, early: false, earlyEvery: 0, lowercase: false, dlrDelay: 50, rules: [],
		rejects: [], throttleEvery: 0, duplicateEvery: 0, lateEvery: 0, lateMs: 5000, receiptText: 'copy',
		startId: 0x1000a0, log: null, rejectsLog: null, spool: null, retryDelay: 500, replies: [], replySar: false };
	for (let i = 2; i < argv.length; i++) {
		const key = argv[i], value = argv[i + 1];
		switch (key) {
		case '--port': opts.port = Number(value); i++; break;
		case '--host': opts.host = value; i++; break;
		case '--system-id': opts.systemId = value; i++; break;
		case '--password': opts.password = value; i++; break;
		case '--id-format': opts.idFormat = value; i++; break;
		case '--receipt-id': opts.receiptId = value; i++; break;
		case '--tlv': opts.tlv = value === '1'; i++; break;
		case '--early': opts.early = true; break;
		case '--reply': {
			const at = value.indexOf('=');
			opts.replies.push({ suffix: value.slice(0, at), text: value.slice(at + 1) });
			i++;
			break;
		}
		case '--reply-sar': opts.replySar = true; break;
		case '--early-every': opts.earlyEvery = Number(value); i++; break;
		case '--lowercase': opts.lowercase = true; break;
		case '--dlr-delay': opts.dlrDelay = Number(value); i++; break;
		case '--rule': {
			const [suffix, outcome] = value.split('=');
			const [stat, err] = outcome.split(':');
			opts.rules.push({ suffix, stat, err: err || '000' });
			i++; break;
		}
		case '--reject': {
			const [suffix, status] = value.split('=');
			opts.rejects.push({ suffix, status: parseStatus(status || '0x0B') });
			i++; break;
		}
		case '--throttle-every': opts.throttleEvery = Number(value); i++; break;
		case '--duplicate-every': opts.duplicateEvery = Number(value); i++; break;
		case '--late-every': opts.lateEvery = Number(value); i++; break;
		case '--late-ms': opts.lateMs = Number(value); i++; break;
		case '--receipt-text':
			if (!['copy', 'none'].includes(value)) throw new Error('--receipt-text copy|none');
			opts.receiptText = value; i++; break;
		case '--start-id': opts.startId = parseStatus(value); i++; break;
		case '--log': opts.log = value; i++; break;
		case '--rejects-log': opts.rejectsLog = value; i++; break;
		case '--spool': opts.spool = value; i++; break;
		case '--retry-delay': opts.retryDelay = Number(value); i++; break;
		default: throw new Error('unknown option ' + key);
		}
	}
	return opts;
}

const opts = parseArgs(process.argv);
// Written synchronously, before the answer goes out: a test that has the answer finds the line.
const appender = (path) => (path ? { write: (line) => fs.appendFileSync(path, line) } : null);
const log = appender(opts.log);
const rejectsLog = appender(opts.rejectsLog);
let nextId = opts.startId;
let submits = 0;             // every submit_sm received
let accepted = 0;            // those answered with an id and a receipt to come
let receiptSeq = 0;
const bound = new Set();     // sessions bound as receiver or transceiver
const undelivered = [];      // receipts waiting for a receiving bind
const outstanding = new Map(); // receipt key → receipt, until a deliver_sm_resp accepts it
const timers = new Set();

function later(ms, fn) {
	const t = setTimeout(() => { timers.delete(t); fn(); }, ms);
	timers.add(t);
}

function outcomeFor(number) {
	for (const rule of opts.rules) {
		if (number.endsWith(rule.suffix)) return rule;
	}
	return { stat: 'DELIVRD', err: '000' };
}

function rejectionFor(number) {
	return opts.rejects.find((r) => number.endsWith(r.suffix)) || null;
}

function smppDate(d) {
	const p = (n) => String(n).padStart(2, '0');
	return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) + p(d.getUTCMinutes());
}

// The first 20 characters of the part in its own bytes, and the data_coding that says so.
function copiedText(submit) {
	const sm = submit.short_message || {};
	const message = typeof sm.message === 'string' ? sm.message : '';
	if (opts.receiptText !== 'copy' || !message) return { bytes: Buffer.alloc(0), dataCoding: 0 };
	if ((submit.data_coding & 0x0F) === 0x08) {
		// 20 UTF-16 units: an emoji's surrogate pair may be cut in two, as real SMSCs do.
		const units = Buffer.from(message, 'utf16le').subarray(0, 40);
		return { bytes: Buffer.from(units).swap16(), dataCoding: 0x08 };
	}
	return { bytes: smpp.encodings.ASCII.encode(Array.from(message).slice(0, 20).join('')), dataCoding: 0 };
}

function receiptFor(submit, messageId) {
	const outcome = outcomeFor(submit.destination_addr);
	const now = new Date();
	const idInText = opts.receiptId === 'decimal' && opts.idFormat === 'hex' ? String(parseInt(messageId, 16)) : messageId;
	const fields = [['id', idInText], ['sub', '001'], ['dlvrd', outcome.stat === 'DELIVRD' ? '001' : '000'],
		['submit date', smppDate(now)], ['done date', smppDate(now)], ['stat', outcome.stat], ['err', outcome.err]];
	// --lowercase: field names capitalised and the state in lower case, as some SMSCs write them.
	const head = fields.map(([k, v]) => opts.lowercase ? k[0].toUpperCase() + k.slice(1) + ':' + (k === 'stat' ? v.toLowerCase() : v) : k + ':' + v)
		.join(' ') + (opts.lowercase ? ' Text:' : ' text:');
	const copied = copiedText(submit);
	const pdu = {
		source_addr: submit.destination_addr, source_addr_ton: 1, source_addr_npi: 1,
		destination_addr: submit.source_addr, esm_class: 0x04, data_coding: copied.dataCoding,
		short_message: Buffer.concat([Buffer.from(head, 'latin1'), copied.bytes]),
	};
	if (opts.tlv) {
		pdu.receipted_message_id = idInText;
		pdu.message_state = { DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8 }[outcome.stat] || 7;
	}
	receiptSeq += 1;
	return { key: receiptSeq, pdu };
}

let replyRef = 0;

// The deliver_sm PDUs of a phone's reply to this submit_sm, or none.
function repliesFor(submit) {
	const rule = opts.replies.find((r) => (submit.destination_addr || '').endsWith(r.suffix));
	if (!rule) return [];
	const udh = ((submit.short_message || {}).udh || []).map((b) => Buffer.from(b));
	const concat = udh.find((b) => b[0] === 0x00 && b.length >= 5);
	if (concat && concat[4] !== concat[3]) return []; // not the last part: the phone answers once
	const base = { source_addr: submit.destination_addr, source_addr_ton: 1, source_addr_npi: 1,
		destination_addr: submit.source_addr, esm_class: 0 };
	if (/^[\x20-\x7e]*$/.test(rule.text) && rule.text.length <= 160) {
		return [{ ...base, data_coding: 0, short_message: Buffer.from(rule.text, 'latin1') }];
	}
	const units = Buffer.from(rule.text, 'utf16le').swap16();
	if (units.length <= 140) return [{ ...base, data_coding: 8, short_message: units }];
	const chunks = [];
	for (let at = 0; at < units.length;) {
		let end = Math.min(at + 134, units.length);
		const high = units.readUInt16BE(end - 2);
		if (end < units.length && high >= 0xD800 && high <= 0xDBFF) end -= 2; // a surrogate pair stays whole
		chunks.push(units.subarray(at, end));
		at = end;
	}
	replyRef = (replyRef + 1) % 256;
	const pdus = chunks.map((chunk, i) => opts.replySar
		? { ...base, data_coding: 8, short_message: chunk, sar_msg_ref_num: replyRef, sar_total_segments: chunks.length, sar_segment_seqnum: i + 1 }
		: { ...base, esm_class: 0x40, data_coding: 8,
			short_message: Buffer.concat([Buffer.from([5, 0, 3, replyRef, chunks.length, i + 1]), chunk]) });
	return pdus.reverse();
}

function deliver(preferred, receipt) {
	outstanding.set(receipt.key, receipt);
	const session = bound.has(preferred) ? preferred : bound.values().next().value;
	if (!session) { undelivered.push(receipt); return; }
	session.inflight.set(receipt.key, receipt);
	// A copy: the package's PDU encoder writes into the object it is given.
	const sent = session.deliver_sm({ ...receipt.pdu }, (resp) => {
		session.inflight.delete(receipt.key);
		if (resp.command_status === 0) {
			outstanding.delete(receipt.key);
		} else {
			// A refused receipt (e.g. ESME_RX_T_APPN) is delivered again a little later, as SMSCs do.
			later(opts.retryDelay, () => deliver(session, receipt));
		}
	});
	if (sent === false) { session.inflight.delete(receipt.key); undelivered.push(receipt); }
}

function logRefused(pdu, status, reason) {
	if (!rejectsLog) return;
	const sm = pdu.short_message || {};
	rejectsLog.write(JSON.stringify({
		status: '0x' + status.toString(16).padStart(8, '0').toUpperCase(), reason, source_addr: pdu.source_addr,
		destination_addr: pdu.destination_addr, data_coding: pdu.data_coding,
		udh: (sm.udh || []).map((b) => Buffer.from(b).toString('hex')),
	}) + '\n');
}

function loadSpool() {
	if (!opts.spool || !fs.existsSync(opts.spool)) return;
	const saved = JSON.parse(fs.readFileSync(opts.spool, 'utf8'));
	fs.unlinkSync(opts.spool);
	for (const r of saved) {
		receiptSeq += 1;
		const receipt = { key: receiptSeq, pdu: { ...r, short_message: Buffer.from(r.short_message, 'hex') } };
		outstanding.set(receipt.key, receipt);
		undelivered.push(receipt);
	}
}

function saveSpool() {
	if (!opts.spool) return;
	const rows = [...outstanding.values()].map((r) => ({ ...r.pdu, short_message: r.pdu.short_message.toString('hex') }));
	fs.writeFileSync(opts.spool, JSON.stringify(rows));
}

loadSpool();

const server = smpp.createServer({ autoEnquire: false }, (session) => {
	session.inflight = new Map();
	session.on('error', () => {});
	session.on('close', () => {
		bound.delete(session);
		// Receipts sent on this bind without an answer go again on another (or the next) bind.
		const again = [...session.inflight.values()];
		session.inflight.clear();
		for (const receipt of again) deliver(null, receipt);
	});
	const onBind = (receives) => (pdu) => {
		if (pdu.system_id !== opts.systemId || pdu.password !== opts.password) {
			session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
			session.close();
			return;
		}
		session.send(pdu.response({ system_id: 'testsmsc' }));
		if (receives) {
			bound.add(session);
			while (undelivered.length && bound.has(session)) deliver(session, undelivered.shift());
		}
	};
	session.on('bind_transceiver', onBind(true));
	session.on('bind_receiver', onBind(true));
	session.on('bind_transmitter', onBind(false));
	session.on('enquire_link', (pdu) => session.send(pdu.response()));
	session.on('unbind', (pdu) => { bound.delete(session); session.send(pdu.response()); session.close(); });
	session.on('submit_sm', (pdu) => {
		submits += 1;
		if (opts.throttleEvery && submits % opts.throttleEvery === 0) {
			logRefused(pdu, smpp.ESME_RTHROTTLED, 'throttled');
			session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
			return;
		}
		const rejection = rejectionFor(pdu.destination_addr || '');
		if (rejection) {
			logRefused(pdu, rejection.status, 'rejected');
			session.send(pdu.response({ command_status: rejection.status }));
			return;
		}
		nextId += 1;
		const messageId = opts.idFormat === 'hex' ? nextId.toString(16).toUpperCase() : String(nextId);
		const sm = pdu.short_message || {};
		if (log) {
			log.write(JSON.stringify({
				message_id: messageId, source_addr: pdu.source_addr, destination_addr: pdu.destination_addr,
				data_coding: pdu.data_coding, esm_class: pdu.esm_class, registered_delivery: pdu.registered_delivery,
				validity_period: pdu.validity_period ? String(pdu.validity_period) : '',
				udh: (sm.udh || []).map((b) => Buffer.from(b).toString('hex')), text: typeof sm.message === 'string' ? sm.message : '',
			}) + '\n');
		}
		if (!(pdu.registered_delivery & 0x03)) {
			session.send(pdu.response({ message_id: messageId }));
			return;
		}
		accepted += 1;
		const receipt = receiptFor(pdu, messageId);
		outstanding.set(receipt.key, receipt);
		const duplicate = opts.duplicateEvery && accepted % opts.duplicateEvery === 0;
		const sendReceipt = () => {
			deliver(session, receipt);
			if (duplicate) later(opts.dlrDelay, () => deliver(session, { key: ++receiptSeq, pdu: receipt.pdu }));
		};
		if (opts.early || (opts.earlyEvery && accepted % opts.earlyEvery === 0)) {
			sendReceipt();
			later(opts.dlrDelay, () => session.send(pdu.response({ message_id: messageId })));
			return;
		}
		session.send(pdu.response({ message_id: messageId }));
		const delay = opts.lateEvery && accepted % opts.lateEvery === 0 ? opts.lateMs : opts.dlrDelay;
		later(delay, sendReceipt);
		const replies = repliesFor(pdu);
		if (replies.length) {
			later(delay + 20, () => { for (const reply of replies) deliver(session, { key: ++receiptSeq, pdu: reply }); });
		}
	});
});

server.listen(opts.port, opts.host, () => {
	process.stdout.write('listening ' + server.address().port + '\n');
});
for (const signal of ['SIGTERM', 'SIGINT']) {
	process.on(signal, () => {
		// Receipts still to send (scheduled, waiting for a bind, or unanswered) survive a restart.
		saveSpool();
		process.exit(0);
	});
}
