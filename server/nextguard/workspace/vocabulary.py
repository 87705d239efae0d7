"""Built-in knowledge of the auth libraries, data clients and framework calls nextguard recognises.

Kept as data so that a new library is a line here, not new logic. Names come from each library's
documentation; the shapes are matched against a call's callee chain (see ``facts.model.Call``).
"""

from __future__ import annotations

import re

# (import specifier, export name) pairs whose call establishes who the caller is.
AUTH_IMPORTS: frozenset[tuple[str, str]] = frozenset(
    {
        ("next-auth", "getServerSession"),
        ("next-auth/next", "getServerSession"),
        ("next-auth", "auth"),
        ("@clerk/nextjs/server", "auth"),
        ("@clerk/nextjs/server", "currentUser"),
        ("@clerk/nextjs", "auth"),
        ("@clerk/nextjs", "currentUser"),
        ("@clerk/nextjs/app-beta", "auth"),
        ("@clerk/nextjs/app-beta", "currentUser"),
        ("iron-session", "getIronSession"),
        ("iron-session/edge", "getIronSession"),
        ("@kinde-oss/kinde-auth-nextjs/server", "getKindeServerSession"),
        ("@workos-inc/authkit-nextjs", "withAuth"),
        ("@auth0/nextjs-auth0", "getSession"),
        ("@auth0/nextjs-auth0/edge", "getSession"),
        ("@auth0/nextjs-auth0", "withApiAuthRequired"),
        ("@auth0/nextjs-auth0", "withPageAuthRequired"),
        ("lucia", "validateRequest"),
    }
)

# Member-call shapes, matched at the end of a callee chain (the root may be any client).
AUTH_MEMBER_SUFFIXES: tuple[tuple[str, ...], ...] = (
    ("auth", "getUser"),  # Supabase (verifies the JWT with the Auth server)
    ("auth", "getClaims"),  # Supabase (verifies the JWT signature)
    ("auth", "api", "getSession"),  # better-auth
    ("lucia", "validateSession"),  # Lucia v3
    ("auth0", "getSession"),  # Auth0 v4 `Auth0Client`
    ("auth", "protect"),  # Clerk `auth.protect()`
)

# Primitives whose result is null/undefined when nobody is signed in: a guard inserted for them
# also tests the result.
NULLABLE_AUTH = frozenset({"auth", "getServerSession", "currentUser", "getSession", "getUser", "getClaims"})

# Factories whose destructured `auth` is the primitive (`export const { auth } = NextAuth(config)`).
AUTH_FACTORIES = frozenset({"NextAuth"})

# Calls that start or end a sign-in flow: actions that make them are public by nature.
AUTH_FLOW_NAMES = frozenset(
    {
        "signIn",
        "signUp",
        "signOut",
        "signInWithPassword",
        "signInWithOtp",
        "signInWithOAuth",
        "signInWithIdToken",
        "signInWithSSO",
        "signInAnonymously",
        "signInEmail",
        "signUpEmail",
        "signInSocial",
        "signInMagicLink",
        "sendVerificationEmail",
        "resetPasswordForEmail",
        "forgetPassword",
        "resetPassword",
        "requestPasswordReset",
        "verifyOtp",
        "exchangeCodeForSession",
        "createSession",
        "setSession",
        "createSessionCookie",
        "createUserWithEmailAndPassword",
        "signInWithEmailAndPassword",
        # Appwrite accounts
        "createEmailToken",
        "createEmailPasswordSession",
        "createMagicURLToken",
        "createPhoneToken",
        "createOAuth2Token",
        "createOAuth2Session",
    }
)
# Password hashing packages: comparing a password with its hash is a sign-in, hashing one a sign-up
# or a reset (an authenticated change of password is protected by its own auth check anyway).
PASSWORD_PACKAGES = frozenset({"bcrypt", "bcryptjs", "bcrypt-ts", "argon2", "@node-rs/argon2", "@node-rs/bcrypt"})
PASSWORD_CALLS = frozenset({"compare", "compareSync", "verify", "hash", "hashSync"})
AUTH_FLOW_ACTION_NAME = re.compile(
    r"^(sign[_-]?(in|up|out)|log[_-]?(in|out)|register|forgot[_-]?password|reset[_-]?password|"
    r"request[_-]?password[_-]?reset|verify[_-]?(email|otp)|magic[_-]?link|oauth|"
    r"(verify|check|unlock)[_-]?password)",
    re.IGNORECASE,
)

# Calls whose name says they verify or decrypt a token: with a cookie or header read in the same
# function, they make it an auth primitive of the project's own.
VERIFY_NAME = re.compile(
    r"^(decrypt|verify|jwtVerify|unseal|validate(Session|Token|Request|Jwt)|get\w*Session|decode(Jwt|Token)|"
    r"getToken|find\w*Session|getIronSession|unsealData)\w*$"
)
NEXT_HEADERS = "next/headers"
REQUEST_STATE_CALLS = frozenset({"cookies", "headers"})

# Calls that stop the request when a check fails: a guard that makes one enforces itself.
BAILOUT_CALLS = frozenset({"redirect", "permanentRedirect", "notFound", "unauthorized", "forbidden"})

# Packages whose imports are database clients or other data stores.
DATA_PACKAGES = frozenset(
    {
        "@prisma/client",
        "prisma",
        "drizzle-orm",
        "@supabase/supabase-js",
        "@supabase/ssr",
        "@supabase/auth-helpers-nextjs",
        "kysely",
        "mongoose",
        "mongodb",
        "pg",
        "mysql2",
        "mysql",
        "@vercel/postgres",
        "@vercel/kv",
        "@vercel/blob",
        "@neondatabase/serverless",
        "@planetscale/database",
        "postgres",
        "better-sqlite3",
        "@libsql/client",
        "@upstash/redis",
        "redis",
        "ioredis",
        "firebase-admin",
        "@google-cloud/firestore",
        "@aws-sdk/client-dynamodb",
        "@aws-sdk/lib-dynamodb",
        "typeorm",
        "sequelize",
        "@electric-sql/pglite",
        "convex",
        "@xata.io/client",
    }
)
# What a data package exports that is itself a client (`import { sql } from '@vercel/postgres'`,
# `import mongoose from 'mongoose'`); the rest are builders, types and factories.
CLIENT_EXPORTS = frozenset({"sql", "db", "kv", "redis", "client", "pool", "firestore", "default", "supabase"})
# Constructors and factories whose result is a data client (`export const db = drizzle(pool)`).
CLIENT_FACTORIES = frozenset(
    {
        "PrismaClient",
        "drizzle",
        "Kysely",
        "Pool",
        "Client",
        "neon",
        "postgres",
        "createPool",
        "createConnection",
        "MongoClient",
        "Redis",
        "createKysely",
        "Database",
        "createClient",
        "createServerClient",
        "model",
        "getFirestore",
        "getDatabase",
    }
)
# Links of a document-store query that only say where to look (`.collection('users').doc(id)`,
# `.where(…).orderBy(…)`): the access is the call that ends the chain (`.get()`, `.update(…)`).
QUERY_BUILDERS = frozenset(
    {"collection", "collectionGroup", "doc", "where", "orderBy", "limit", "limitToLast", "offset", "startAt"}
    | {"startAfter", "endAt", "endBefore", "select", "child", "ref", "orderByChild", "equalTo"}
)
# Names that, as the object of a model call, mean a database client even when nothing resolves
# (`tx` in a transaction callback, `ctx.db` in a tRPC procedure).
CLIENT_NAMES = frozenset({"prisma", "db", "tx", "trx", "database", "prismaclient", "dbclient", "client"})

# Methods of a data client that manage its connection rather than read or write a record.
CONNECTION_CALLS = frozenset(
    {
        "connect",
        "$connect",
        "disconnect",
        "$disconnect",
        "close",
        "end",
        "on",
        "once",
        "$on",
        "$use",
        "$extends",
        "model",
    }
)

PRISMA_READS = frozenset(
    {
        "findUnique",
        "findUniqueOrThrow",
        "findFirst",
        "findFirstOrThrow",
        "findMany",
        "count",
        "aggregate",
        "groupBy",
    }
)
PRISMA_WRITES = frozenset(
    {
        "create",
        "createMany",
        "createManyAndReturn",
        "update",
        "updateMany",
        "updateManyAndReturn",
        "upsert",
        "delete",
        "deleteMany",
    }
)
# Model operations no other common API spells the same way.
PRISMA_DISTINCT = frozenset(
    {
        "findUnique",
        "findUniqueOrThrow",
        "findFirst",
        "findFirstOrThrow",
        "findMany",
        "createMany",
        "createManyAndReturn",
        "updateMany",
        "updateManyAndReturn",
        "upsert",
        "deleteMany",
        "groupBy",
    }
)
PRISMA_RAW = {
    "$queryRaw": False,
    "$queryRawUnsafe": False,
    "$executeRaw": True,
    "$executeRawUnsafe": True,
    "$runCommandRaw": True,
    "$transaction": False,
}
DRIZZLE_OPS = {
    "select": False,
    "selectDistinct": False,
    "selectDistinctOn": False,
    "insert": True,
    "update": True,
    "delete": True,
    "execute": False,
    "batch": False,
    "run": False,
    "all": False,
    "get": False,
    "values": False,
    "transaction": False,
    "query": False,
    "$count": False,
}
SUPABASE_OPS = {"select": False, "insert": True, "update": True, "upsert": True, "delete": True}
KYSELY_OPS = {
    "selectFrom": False,
    "insertInto": True,
    "updateTable": True,
    "deleteFrom": True,
    "replaceInto": True,
    "mergeInto": True,
}
MONGO_DISTINCT = {
    "findById": False,
    "findByIdAndUpdate": True,
    "findByIdAndDelete": True,
    "findByIdAndRemove": True,
    "findOneAndUpdate": True,
    "findOneAndDelete": True,
    "findOneAndReplace": True,
    "countDocuments": False,
    "estimatedDocumentCount": False,
    "insertMany": True,
    "insertOne": True,
    "updateOne": True,
    "updateMany": True,
    "deleteOne": True,
    "deleteMany": True,
    "replaceOne": True,
    "bulkWrite": True,
}
MONGO_GENERIC = {"find": False, "findOne": False, "create": True, "exists": False, "aggregate": False}
SQL_MUTATION = re.compile(r"^\s*(insert|update|delete|upsert|merge|replace|drop|alter|truncate|create)\b", re.I)
GENERIC_MUTATION = re.compile(
    r"^(set|put|insert|update|upsert|delete|del|remove|create|add|incr|decr|push|write|save|destroy|"
    r"hset|hdel|lpush|rpush|sadd|srem|zadd|zrem|expire|append|upload|copy|move)",
    re.IGNORECASE,
)

# Schema validation calls: an action that makes one gets "validation is not authorization".
VALIDATION_CALLS = frozenset({"parse", "safeParse", "parseAsync", "safeParseAsync", "validate", "validateSync"})
VALIDATION_CHAIN = frozenset({"schema", "inputSchema", "input", "bindArgsSchemas"})

# Factories of action clients: a module that only builds these is not a DAL module.
ACTION_CLIENT_FACTORIES = frozenset(
    {"createSafeActionClient", "createServerAction", "createServerActionProcedure", "createZodProcedure"}
)

# Environment variables whose names say they hold a secret (a key, a token, a password, a
# connection string with credentials). NEXT_PUBLIC_ variables are inlined into client bundles.
SECRET_ENV = re.compile(
    r"(SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|API_?KEY|_KEY$|^KEY_|_KEY_|CREDENTIAL|DATABASE_URL|POSTGRES_URL|"
    r"POSTGRES_PRISMA_URL|MYSQL_URL|MONGODB_URI|MONGO_URL|REDIS_URL|_DSN$|SERVICE_ROLE|WEBHOOK_SECRET)"
)
PUBLIC_ENV_PREFIX = "NEXT_PUBLIC_"
# Packages that split server and client environment variables and guard server ones at runtime.
ENV_VALIDATORS = ("@t3-oss/env-nextjs", "@t3-oss/env-core")

# -- outside effects ("Open world": open by default) ------------------------------------------------
# A call into a server package is an outside effect (a payment, a model API call, an email, an
# upload…) unless the package is known to be pure: computation, validation, formatting, the
# framework itself, or a library whose effects nextguard reads another way (data clients, auth).
PURE_PACKAGES = frozenset(
    {
        # the framework and its builders
        "next",
        "react",
        "react-dom",
        "server-only",
        "client-only",
        "zsa",
        "zsa-react",
        "next-safe-action",
        "next-intl",
        "next-themes",
        "nuqs",
        "@t3-oss/env-nextjs",
        "@t3-oss/env-core",
        "dotenv",
        "@vercel/functions",
        "@vercel/otel",
        "@vercel/analytics",
        "@upstash/ratelimit",
        # validation and parsing
        "zod",
        "yup",
        "valibot",
        "arktype",
        "superstruct",
        "joi",
        "@sinclair/typebox",
        "zod-form-data",
        "zfd",
        "libphonenumber-js",
        "validator",
        "papaparse",
        "superjson",
        "qs",
        "query-string",
        "fast-deep-equal",
        "deepmerge",
        "immer",
        # dates, strings, ids, formatting
        "date-fns",
        "date-fns-tz",
        "dayjs",
        "moment",
        "luxon",
        "ms",
        "uuid",
        "nanoid",
        "cuid",
        "@paralleldrive/cuid2",
        "ulid",
        "slugify",
        "@sindresorhus/slugify",
        "lodash",
        "lodash-es",
        "ramda",
        "clsx",
        "classnames",
        "tailwind-merge",
        "class-variance-authority",
        "marked",
        "remark",
        "rehype",
        "unified",
        "sanitize-html",
        "dompurify",
        "isomorphic-dompurify",
        "he",
        "fuse.js",
        "diff-match-patch",
        "sonner",
        "@react-email/render",
        "@react-email/components",
        # hashing and encoding (no secret leaves the server)
        "bcrypt",
        "bcryptjs",
        "bcrypt-ts",
        "argon2",
        "@node-rs/argon2",
        "@node-rs/bcrypt",
        "@oslojs/crypto",
        "@oslojs/encoding",
        "@oslojs/otp",
        "oslo",
        "crypto-js",
        # auth libraries (their calls are auth primitives or sign-in flows)
        "next-auth",
        "@auth/core",
        "@auth/prisma-adapter",
        "@auth/drizzle-adapter",
        "@clerk/nextjs",
        "@clerk/backend",
        "lucia",
        "@lucia-auth/adapter-prisma",
        "@lucia-auth/adapter-drizzle",
        "better-auth",
        "iron-session",
        "@kinde-oss/kinde-auth-nextjs",
        "@workos-inc/authkit-nextjs",
        "@auth0/nextjs-auth0",
        "arctic",
        "jose",
        "jsonwebtoken",
        # logging, error tracking and tracing: the app's own diagnostics, not data it keeps or
        # a service acting for the caller
        "@google-cloud/logging",
        "@google-cloud/logging-winston",
        "pino",
        "pino-pretty",
        "winston",
        "log4js",
        "bunyan",
        "consola",
        "next-axiom",
        "dd-trace",
        # model providers: a handle to a model, the effect is the `ai` call that uses it
        "@ai-sdk/openai",
        "@ai-sdk/anthropic",
        "@ai-sdk/google",
        "@ai-sdk/mistral",
        "@ai-sdk/gateway",
        "@ai-sdk/react",
        "@ai-sdk/ui-utils",
        "@ai-sdk/provider",
        "@ai-sdk/provider-utils",
    }
)
# Packages of which only some exports reach the outside: those exports.
EFFECT_EXPORTS: dict[str, frozenset[str]] = {
    "ai": frozenset(
        {
            "generateText",
            "streamText",
            "generateObject",
            "streamObject",
            "streamUI",
            "embed",
            "embedMany",
            "generateImage",
            "experimental_generateImage",
            "experimental_generateSpeech",
            "experimental_transcribe",
        }
    ),
}
NODE_BUILTINS = frozenset(
    {
        "assert",
        "buffer",
        "crypto",
        "events",
        "fs",
        "os",
        "path",
        "querystring",
        "readline",
        "stream",
        "string_decoder",
        "timers",
        "url",
        "util",
        "zlib",
        "dns",
    }
)
# Methods of an outside service's client that only configure it (`new Client().setEndpoint(…)`).
# So are those that check a signature locally (`stripe.webhooks.constructEvent`, `wh.verify`).
SDK_CONFIG_METHODS = re.compile(
    r"^(set[A-Z]\w*|use|on|off|configure|with[A-Z]\w*|constructor|toString|constructEvent\w*|verify\w*)$"
)


def pure_package(package: str) -> bool:
    """Whether calls into ``package`` never reach the outside (see ``PURE_PACKAGES``)."""
    if package.startswith("node:") or package in NODE_BUILTINS:
        return True
    if package in PURE_PACKAGES or package in DATA_PACKAGES:
        return True
    return package.startswith(
        (
            "@types/",
            "@radix-ui/",
            "@tiptap/",
            "prosemirror-",
            "@react-email/",
            # error tracking, tracing and log shipping (see the logging packages above)
            "@sentry/",
            "@opentelemetry/",
            "@axiomhq/",
            "@logtail/",
        )
    )
