#include "app/workerthread.h"

namespace tempo {

WorkerThread::WorkerThread(const QString& threadName)
{
    thread_.setObjectName(threadName);
    moveToThread(&thread_);
    thread_.start();
}

WorkerThread::~WorkerThread() { stopThread(); }

void WorkerThread::cancel() { cancelFlag_.store(true); }

void WorkerThread::stopThread()
{
    cancel();
    thread_.quit();
    thread_.wait();
}

} // namespace tempo
