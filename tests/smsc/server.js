#!/usr/bin/env node
// An SMSC for the integration tests and the SMPP benchmark. The SMPP 3.4 protocol (PDU
// encoding, sessions, binds) is the npm `smpp` package's server; this file only decides
// what the SMSC answers: a message id per submit_sm, then a delivery receipt (deliver_sm
// with esm_class 0x04) in the forms real SMSCs use.
//
//   node server.js --port 2775 [--system-id test --password secret] [--id-format hex|decimal]
//        [--receipt-id same|decimal] [--tlv 1|0] [--early] [--lowercase] [--dlr-delay 50]
//        [--rule 13=UNDELIV:001 ...] [--throttle-every N] [--log submits.jsonl]
//
// --receipt-id decimal: the receipt names the id in decimal when submit_sm_resp gave it in hex.
// --early: the receipt is sent before the submit_sm_resp that carries the id.
// --rule SUFFIX=STAT:ERR: numbers ending in SUFFIX get that outcome (default DELIVRD:000).
// --throttle-every N: every Nth submit_sm is answered ESME_RTHROTTLED.
'use strict';
const fs = require('fs');
const smpp = require('smpp');

function parseArgs(argv) {
	const opts = { port: 2775, host: '127.0.0.1', systemId: 'test', password: 'secret', idFormat: 'hex',
		receiptId: 'same', tlv: true, early: false, lowercase: false, dlrDelay: 50, rules: [],
		throttleEvery: 0, log: null, retryDelay: 500 };
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
		case '--lowercase': opts.lowercase = true; break;
		case '--dlr-delay': opts.dlrDelay = Number(value); i++; break;
		case '--rule': {
			const [suffix, outcome] = value.split('=');
			const [stat, err] = outcome.split(':');
			opts.rules.push({ suffix, stat, err: err || '000' });
			i++; break;
		}
		case '--throttle-every': opts.throttleEvery = Number(value); i++; break;
		case '--log': opts.log = value; i++; break;
		case '--retry-delay': opts.retryDelay = Number(value); i++; break;
		default: throw new Error('unknown option ' + key);
		}
	}
	return opts;
}

const opts = parseArgs(process.argv);
// Written synchronously, before the answer goes out: a test that has the answer finds the line.
const log = opts.log ? { write: (line) => fs.appendFileSync(opts.log, line) } : null;
let nextId = 0x1000a0;
let submits = 0;
const bound = new Set();     // sessions bound as receiver or transceiver
const undelivered = [];      // receipts waiting for a receiving bind

function outcomeFor(number) {
	for (const rule of opts.rules) {
		if (number.endsWith(rule.suffix)) return rule;
	}
	return { stat: 'DELIVRD', err: '000' };
}

function smppDate(d) {
	const p = (n) => String(n).padStart(2, '0');
	return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) + p(d.getUTCMinutes());
}

function receiptFor(session, submit, messageId) {
	const outcome = outcomeFor(submit.destination_addr);
	const now = new Date();
	const idInText = opts.receiptId === 'decimal' && opts.idFormat === 'hex' ? String(parseInt(messageId, 16)) : messageId;
	const fields = [['id', idInText], ['sub', '001'], ['dlvrd', outcome.stat === 'DELIVRD' ? '001' : '000'],
		['submit date', smppDate(now)], ['done date', smppDate(now)], ['stat', outcome.stat], ['err', outcome.err]];
	// --lowercase: field names capitalised and the state in lower case, as some SMSCs write them.
	const text = fields.map(([k, v]) => opts.lowercase ? k[0].toUpperCase() + k.slice(1) + ':' + (k === 'stat' ? v.toLowerCase() : v) : k + ':' + v)
		.join(' ') + (opts.lowercase ? ' Text:' : ' text:');
	const pdu = {
		source_addr: submit.destination_addr, source_addr_ton: 1, source_addr_npi: 1,
		destination_addr: submit.source_addr, esm_class: 0x04, short_message: text,
	};
	if (opts.tlv) {
		pdu.receipted_message_id = idInText;
		pdu.message_state = { DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8 }[outcome.stat] || 7;
	}
	return pdu;
}

function deliver(preferred, receipt) {
	const session = bound.has(preferred) ? preferred : bound.values().next().value;
	if (!session) { undelivered.push(receipt); return; }
	session.deliver_sm(receipt, (resp) => {
		// A refused receipt (e.g. ESME_RX_T_APPN) is delivered again a little later, as SMSCs do.
		if (resp.command_status !== 0) setTimeout(() => deliver(session, receipt), opts.retryDelay);
	});
}

const server = smpp.createServer({ autoEnquire: false }, (session) => {
	session.on('error', () => {});
	session.on('close', () => { bound.delete(session); });
	const onBind = (receives) => (pdu) => {
		if (pdu.system_id !== opts.systemId || pdu.password !== opts.password) {
			session.send(pdu.response({ command_status: smpp.ESME_RBINDFAIL }));
			session.close();
			return;
		}
		session.send(pdu.response({ system_id: 'testsmsc' }));
		if (receives) {
			bound.add(session);
			while (undelivered.length) deliver(session, undelivered.shift());
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
			session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
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
		const receipt = (pdu.registered_delivery & 0x03) ? receiptFor(session, pdu, messageId) : null;
		if (receipt && opts.early) {
			deliver(session, receipt);
			setTimeout(() => session.send(pdu.response({ message_id: messageId })), opts.dlrDelay);
			return;
		}
		session.send(pdu.response({ message_id: messageId }));
		if (receipt) setTimeout(() => deliver(session, receipt), opts.dlrDelay);
	});
});

server.listen(opts.port, opts.host, () => {
	process.stdout.write('listening ' + server.address().port + '\n');
});
for (const signal of ['SIGTERM', 'SIGINT']) {
	process.on(signal, () => process.exit(0));
}
