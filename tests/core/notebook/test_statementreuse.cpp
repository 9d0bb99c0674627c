// Prepared statements are reused per connection (database.h): the same SQL twice in a row runs on
// one prepared statement, two alive at once each get their own, bindings never leak from one use
// to the next, and a failed step leaves the reused statement usable.

#include <gtest/gtest.h>

#include "core/common/errors.h"
#include "core/notebook/database.h"
#include "support/testsupport.h"

namespace tempo::notebook {
namespace {

TEST(StatementReuse, SameSqlRunsOnOnePreparedStatement)
{
    test::TempDir dir;
    Database db((dir.path() / "reuse.sqlite").string(), Database::Mode::ReadWriteCreate);
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    const std::string insert = "INSERT INTO t (v) VALUES (?1)";
    const std::size_t before = db.idleStatements();
    for (int i = 0; i < 5; ++i)
        db.prepare(insert).bind(1, i).run();
    EXPECT_EQ(db.idleStatements(), before + 1); // one statement kept, whatever the number of uses
    EXPECT_EQ(db.queryInt("SELECT count(*) FROM t"), 5);
    EXPECT_EQ(db.queryInt("SELECT sum(v) FROM t"), 0 + 1 + 2 + 3 + 4);
}

TEST(StatementReuse, TwoAliveAtOnceEachHaveTheirOwnAndBindingsDoNotLeak)
{
    test::TempDir dir;
    Database db((dir.path() / "reuse.sqlite").string(), Database::Mode::ReadWriteCreate);
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    db.exec("INSERT INTO t (v) VALUES (10), (20), (30)");
    const std::string select = "SELECT v FROM t WHERE v >= ?1 ORDER BY v";
    {
        Statement outer = db.prepare(select);
        outer.bind(1, 20);
        ASSERT_TRUE(outer.step());
        EXPECT_EQ(outer.int64(0), 20);
        // The same SQL while `outer` is mid-read: its own statement, `outer` keeps its row.
        Statement inner = db.prepare(select);
        inner.bind(1, 10);
        ASSERT_TRUE(inner.step());
        EXPECT_EQ(inner.int64(0), 10);
        ASSERT_TRUE(outer.step());
        EXPECT_EQ(outer.int64(0), 30);
    }
    EXPECT_EQ(db.idleStatements(), 1u); // the second one back was finalized, not kept twice
    // A reused statement starts with no bindings: ?1 is NULL, so no row is >= NULL.
    Statement again = db.prepare(select);
    EXPECT_FALSE(again.step());
}

TEST(StatementReuse, FailedStepLeavesTheStatementUsable)
{
    test::TempDir dir;
    Database db((dir.path() / "reuse.sqlite").string(), Database::Mode::ReadWriteCreate);
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER UNIQUE)");
    const std::string insert = "INSERT INTO t (v) VALUES (?1)";
    db.prepare(insert).bind(1, 7).run();
    EXPECT_THROW(db.prepare(insert).bind(1, 7).run(), NotebookError); // UNIQUE violated
    db.prepare(insert).bind(1, 8).run();
    EXPECT_EQ(db.queryInt("SELECT count(*) FROM t"), 2);
}

TEST(StatementReuse, TransactionsCommitAndRollBackOnReusedStatements)
{
    test::TempDir dir;
    Database db((dir.path() / "reuse.sqlite").string(), Database::Mode::ReadWriteCreate);
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    for (int i = 0; i < 3; ++i) {
        Transaction transaction(db);
        db.prepare("INSERT INTO t (v) VALUES (?1)").bind(1, i).run();
        transaction.commit();
    }
    {
        Transaction rolledBack(db); // destroyed without commit
        db.prepare("INSERT INTO t (v) VALUES (?1)").bind(1, 99).run();
    }
    EXPECT_EQ(db.queryInt("SELECT count(*) FROM t"), 3);
    EXPECT_EQ(db.queryInt("SELECT max(v) FROM t"), 2);
}

} // namespace
} // namespace tempo::notebook
