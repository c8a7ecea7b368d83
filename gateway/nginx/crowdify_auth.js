// HS256 backend-token check in njs, used only by the GATEWAY_AUTH_MODE=njs_hs256 benchmark
// variant (see docs/adr/0005). It cannot verify Supabase ES256/RS256 tokens from js_set
// (crypto.subtle is asynchronous in njs 0.7.9), so it is not a production mode.
var crypto = require('crypto');

var ROLES = ['user', 'admin', 'coordinator', 'scanner'];

function decode(part) {
    return JSON.parse(Buffer.from(part, 'base64url').toString());
}

function verdict(r) {
    var value = r.headersIn['Authorization'];
    if (!value) {
        return 'anonymous';
    }
    var m = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(value);
    if (!m) {
        return 'deny';
    }
    try {
        var header = decode(m[1]);
        if (header.alg !== 'HS256') {
            return 'deny';
        }
        var expected = crypto.createHmac('sha256', process.env.JWT_SECRET)
            .update(m[1] + '.' + m[2]).digest('base64url');
        if (expected !== m[3]) {
            return 'deny';
        }
        var claims = decode(m[2]);
        if (claims.iss !== 'crowdify' || typeof claims.exp !== 'number'
            || claims.exp <= Date.now() / 1000 || !claims.sub || ROLES.indexOf(claims.role) < 0) {
            return 'deny';
        }
        return 'ok';
    } catch (e) {
        return 'deny';
    }
}

export default { verdict };
