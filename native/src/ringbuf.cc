// BPF ring buffer consumer driven by the Node event loop.
//
// libbpf's ring_buffer owns an epoll fd that becomes readable when the ring has
// data; a uv_poll_t watches it on the Node loop. A wakeup drains the ring batch by
// batch (maxRecords / maxBytes each) into a staging area and hands each batch to JS
// as one Buffer plus a Uint32Array of record offsets (n + 1 entries), without going
// back to the loop between batches while data remains (a flood is read at the
// consumer's full speed, not one batch per loop turn), for at most kDrainBudgetNs;
// then it yields. The poll is level-triggered, so a ring left non-empty fires again
// on the next loop turn and the loop (signals, timers) is never starved. While open the handle keeps the loop alive and
// the JS object alive; close() (or environment teardown) releases both.
#include "common.h"

#include <bpf/libbpf.h>
#include <uv.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace tsbpf {

namespace {

constexpr int kBatchFull = -0x7462;  // sample callback sentinel: stop, batch full
// How long one wakeup may keep draining full batches before yielding to the loop.
constexpr uint64_t kDrainBudgetNs = 20 * 1000 * 1000;

class Ringbuf : public Napi::ObjectWrap<Ringbuf> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RingbufHandle",
                       {InstanceMethod("consume", &Ringbuf::Consume), InstanceMethod("close", &Ringbuf::Close),
                        InstanceMethod("ref", &Ringbuf::Ref_), InstanceMethod("unref", &Ringbuf::Unref_)});
  }

  // new RingbufHandle(mapFd, onBatch, opts?)
  explicit Ringbuf(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Ringbuf>(info) {
    Napi::Env env = info.Env();
    env_ = env;
    int mapFd = ArgInt32(info, 0, "mapFd");
    if (info.Length() < 2 || !info[1].IsFunction()) throw Napi::TypeError::New(env, "onBatch must be a function");
    Napi::Object o = ArgOptObject(info, 2, "opts");
    maxRecords_ = OptUint32(o, "maxRecords", 4096);
    maxBytes_ = OptUint32(o, "maxBytes", 8u << 20);
    if (maxRecords_ == 0) maxRecords_ = 1;

    ClearLibbpfMessages();
    rb_ = ring_buffer__new(mapFd, &Ringbuf::OnSample, this, nullptr);
    if (!rb_) ThrowErrno(env, "ring_buffer__new", errno ? errno : EINVAL);

    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) {
      ring_buffer__free(rb_);
      rb_ = nullptr;
      throw Napi::Error::New(env, "ringbufOpen: no libuv loop");
    }
    poll_ = new uv_poll_t;
    int err = uv_poll_init(loop, poll_, ring_buffer__epoll_fd(rb_));
    if (err == 0) {
      poll_->data = this;
      err = uv_poll_start(poll_, UV_READABLE, &Ringbuf::OnPoll);
      if (err != 0) uv_close(reinterpret_cast<uv_handle_t*>(poll_), &Ringbuf::OnClosed);
    } else {
      delete poll_;
    }
    if (err != 0) {
      poll_ = nullptr;
      ring_buffer__free(rb_);
      rb_ = nullptr;
      ThrowErrno(env, "uv_poll_start", -err);
    }
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "tsbpf:ringbuf");
    napi_add_env_cleanup_hook(env, &Ringbuf::OnEnvCleanup, this);
    Ref();  // keep the wrapper (and so the callback) alive while open
  }

  ~Ringbuf() override { Shutdown(false); }

 private:
  static int OnSample(void* ctx, void* data, size_t size) {
    auto* self = static_cast<Ringbuf*>(ctx);
    try {
      self->staging_.insert(self->staging_.end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
      self->offsets_.push_back(static_cast<uint32_t>(self->staging_.size()));
    } catch (...) {
      return -ENOMEM;
    }
    if (self->offsets_.size() - 1 >= self->maxRecords_ || self->staging_.size() >= self->maxBytes_) return kBatchFull;
    return 0;
  }

  // Drain one batch into staging_/offsets_. Returns the ring_buffer__consume
  // result (kBatchFull when stopped early); records are in offsets_.size() - 1.
  int Drain() {
    staging_.clear();
    offsets_.assign(1, 0);
    return ring_buffer__consume(rb_);
  }

  size_t Pending() const { return offsets_.size() - 1; }

  void MakeArgs(Napi::Env env, Napi::Value* argv) {
    argv[0] = Napi::Buffer<uint8_t>::Copy(env, staging_.data(), staging_.size());
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, offsets_.size() * sizeof(uint32_t));
    memcpy(ab.Data(), offsets_.data(), offsets_.size() * sizeof(uint32_t));
    argv[1] = Napi::Uint32Array::New(env, offsets_.size(), ab, 0);
  }

  static void OnPoll(uv_poll_t* handle, int status, int events) {
    auto* self = static_cast<Ringbuf*>(handle->data);
    if (!self || !self->rb_) return;
    Napi::Env env = self->env_;
    Napi::HandleScope scope(env);
    try {
      uint64_t start = uv_hrtime();
      for (;;) {
        int ret = status < 0 ? status : self->Drain();
        if (ret < 0 && ret != kBatchFull) {
          // Unexpected: stop watching and report as an uncaught exception.
          uv_poll_stop(self->poll_);
          throw ErrnoError(env, status < 0 ? "ringbuf_poll" : "ring_buffer__consume", -ret);
        }
        if (self->Pending() == 0) return;
        Napi::Value argv[2];
        self->MakeArgs(env, argv);
        self->callback_.MakeCallback(self->Value(), {argv[0], argv[1]}, *self->asyncContext_);
        // The callback may have closed the ring (exit()); a partial batch means it is empty.
        if (!self->rb_ || ret != kBatchFull || uv_hrtime() - start >= kDrainBudgetNs) return;
      }
    } catch (const Napi::Error& e) {
      napi_fatal_exception(env, e.Value());
    }
  }

  // consume(): drain until the ring is empty, calling onBatch synchronously per batch.
  Napi::Value Consume(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    double total = 0;
    ClearLibbpfMessages();
    while (rb_) {
      int ret = Drain();
      if (ret < 0 && ret != kBatchFull) ThrowErrno(env, "ring_buffer__consume", -ret);
      size_t n = Pending();
      if (n == 0) break;
      total += static_cast<double>(n);
      Napi::Value argv[2];
      MakeArgs(env, argv);
      callback_.Call(Value(), {argv[0], argv[1]});
      if (ret != kBatchFull) break;
    }
    return Napi::Number::New(env, total);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown(true);
    return info.Env().Undefined();
  }

  Napi::Value Ref_(const Napi::CallbackInfo& info) {
    if (poll_) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  Napi::Value Unref_(const Napi::CallbackInfo& info) {
    if (poll_) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
    return info.Env().Undefined();
  }

  static void OnClosed(uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); }

  static void OnEnvCleanup(void* arg) {
    auto* self = static_cast<Ringbuf*>(arg);
    self->hookRegistered_ = false;  // being run: must not remove it
    self->Shutdown(false);
  }

  // Release the ring, the poll handle and (when `js`) the JS references.
  void Shutdown(bool js) {
    if (!rb_) return;
    if (poll_) {
      poll_->data = nullptr;
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), &Ringbuf::OnClosed);
      poll_ = nullptr;
    }
    ring_buffer__free(rb_);
    rb_ = nullptr;
    if (hookRegistered_) {
      napi_remove_env_cleanup_hook(env_, &Ringbuf::OnEnvCleanup, this);
      hookRegistered_ = false;
    }
    if (js) {
      asyncContext_.reset();
      callback_.Reset();
      Unref();
    }
  }

  napi_env env_ = nullptr;
  ring_buffer* rb_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  bool hookRegistered_ = true;
  uint32_t maxRecords_;
  uint32_t maxBytes_;
  std::vector<uint8_t> staging_;
  std::vector<uint32_t> offsets_{0};
  Napi::FunctionReference callback_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
};

Napi::Value RingbufOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* ctor = env.GetInstanceData<Napi::FunctionReference>();
  std::vector<napi_value> args;
  for (size_t i = 0; i < info.Length(); i++) args.push_back(info[i]);
  return ctor->New(args);
}

}  // namespace

void InitRingbuf(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = Ringbuf::Define(env);
  env.SetInstanceData(new Napi::FunctionReference(Napi::Persistent(cls)));
  ExportFunction(exports, "ringbufOpen", RingbufOpen);
}

}  // namespace tsbpf
