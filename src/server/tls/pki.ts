// The server's own PKI: at first start it creates a CA and a server certificate signed by it
// (ECDSA P-256: small handshakes on thin links), kept in DATA_DIR/pki. Agents pin the CA by the
// SHA-256 fingerprint carried in their join token, as kubeadm's discovery-token-ca-cert-hash does.
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { webcrypto, X509Certificate } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { hostname, networkInterfaces } from 'node:os'
import { join } from 'node:path'
import { writeFileAtomic } from '../../lib/fs.js'
import { certFingerprint } from '../../lib/tls.js'

x509.cryptoProvider.set(webcrypto as unknown as Crypto)

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
const DAY = 86_400_000

export interface TlsMaterial {
  cert: string
  key: string
  /** PEM of the CA that agents and clients trust. */
  ca: string
  /** Lower-case hex SHA-256 of the CA certificate's DER. */
  caFingerprint: string
}


async function exportKey(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY')
}

async function importKey(pem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decode(pem)[0], ALG, true, ['sign'])
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1')
}

/** Names the server certificate is valid for: the listen host, loopback, this machine, extra SANs. */
export function serverNames(listenHost: string, extra: string[] = []): { ips: string[]; dns: string[] } {
  const ips = new Set(['127.0.0.1', '::1'])
  const dns = new Set(['localhost', hostname()])
  const add = (n: string) => (/^[\d.]+$/.test(n) || n.includes(':') ? ips.add(n) : dns.add(n))
  if (listenHost === '0.0.0.0' || listenHost === '::') {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) ips.add(a.address)
  } else add(listenHost)
  for (const n of extra) add(n)
  return { ips: [...ips], dns: [...dns] }
}

/**
 * Loads DATA_DIR/pki or creates it. The CA lasts ten years; the server certificate one year and is
 * re-issued (same CA, so pins stay valid) when it is within 30 days of expiry or lacks a needed name.
 */
export async function ensurePki(dataDir: string, names: { ips: string[]; dns: string[] }, now = Date.now()): Promise<TlsMaterial> {
  const dir = join(dataDir, 'pki')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const caCrt = join(dir, 'ca.crt'), caKey = join(dir, 'ca.key'), srvCrt = join(dir, 'server.crt'), srvKey = join(dir, 'server.key')
  let caPem: string, caKeyPem: string
  if (existsSync(caCrt) && existsSync(caKey)) {
    caPem = readFileSync(caCrt, 'utf8')
    caKeyPem = readFileSync(caKey, 'utf8')
  } else {
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(), name: `CN=edgeplane CA ${hostname()}`, notBefore: new Date(now - 60_000), notAfter: new Date(now + 3650 * DAY),
      keys, signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    })
    caPem = ca.toString('pem')
    caKeyPem = await exportKey(keys.privateKey)
    writeFileAtomic(caKey, caKeyPem, 0o600)
    writeFileAtomic(caCrt, caPem, 0o644)
  }
  if (!(existsSync(srvCrt) && existsSync(srvKey) && certStillGood(readFileSync(srvCrt, 'utf8'), names, now))) {
    const caCert = new x509.X509Certificate(caPem)
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(), subject: 'CN=edgeplane server', issuer: caCert.subject,
      notBefore: new Date(now - 60_000), notAfter: new Date(now + 365 * DAY),
      publicKey: keys.publicKey, signingKey: await importKey(caKeyPem), signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([...names.dns.map((value) => ({ type: 'dns' as const, value })), ...names.ips.map((value) => ({ type: 'ip' as const, value }))]),
      ],
    })
    writeFileAtomic(srvKey, await exportKey(keys.privateKey), 0o600)
    writeFileAtomic(srvCrt, cert.toString('pem') + '\n' + caPem, 0o644)
  }
  return { cert: readFileSync(srvCrt, 'utf8'), key: readFileSync(srvKey, 'utf8'), ca: caPem, caFingerprint: certFingerprint(caPem) }
}

function certStillGood(pem: string, names: { ips: string[]; dns: string[] }, now: number): boolean {
  try {
    const c = new X509Certificate(pem)
    if (Date.parse(c.validTo) - now < 30 * DAY) return false
    const san = c.subjectAltName ?? ''
    return names.dns.every((n) => san.includes(`DNS:${n}`)) && names.ips.every((ip) => san.includes(`IP Address:${ip}`) || ip.includes(':'))
  } catch {
    return false
  }
}

/** Operator-supplied certificate and key (and the CA that signed it, else the certificate itself). */
export function loadOperatorTls(certFile: string, keyFile: string, caFile?: string): TlsMaterial {
  const cert = readFileSync(certFile, 'utf8')
  const key = readFileSync(keyFile, 'utf8')
  const ca = caFile ? readFileSync(caFile, 'utf8') : cert
  return { cert, key, ca, caFingerprint: certFingerprint(ca) }
}
