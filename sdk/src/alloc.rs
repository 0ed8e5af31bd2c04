//! The allocator of every plugin built with the SDK (the `arena-allocator` feature).
//!
//! A plugin instance lives for one call and its memory is thrown away afterwards, so the
//! allocator never frees: it hands out memory one allocation after the other, which costs a few
//! instructions each and makes lifting a decision into Rust values cheap.
//!
//! The host pools instances, and before it reuses a slot it puts the memory back the way the
//! module started. Growing the memory during a call is what makes that expensive: the host
//! makes the grown pages accessible for the call and inaccessible again afterwards, two system
//! calls that each flush the TLB of every core. So allocations come first from an arena that is
//! part of the module's initial memory (a static that costs nothing in the `.wasm` file), and a
//! typical call never grows the memory. Only a call that allocates more than the arena holds
//! grows it, page by page.

use core::alloc::{GlobalAlloc, Layout};

/// Bytes of the arena allocations come from first.
pub const ARENA_BYTES: usize = 256 << 10;

/// The arena, then growing memory.
pub struct PluginAllocator {
    arena: static_alloc::Bump<[u8; ARENA_BYTES]>,
    overflow: lol_alloc::AssumeSingleThreaded<lol_alloc::LeakingAllocator>,
}

impl PluginAllocator {
    /// # Safety
    ///
    /// The allocator must only be used from one thread, as in a WebAssembly instance without
    /// threads.
    pub const unsafe fn new() -> PluginAllocator {
        PluginAllocator {
            arena: static_alloc::Bump::uninit(),
            // SAFETY: the caller promises a single thread.
            overflow: unsafe {
                lol_alloc::AssumeSingleThreaded::new(lol_alloc::LeakingAllocator::new())
            },
        }
    }
}

// SAFETY: both allocators hand out distinct memory that fits the layout, and neither frees.
unsafe impl GlobalAlloc for PluginAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if let Some(ptr) = self.arena.alloc(layout) {
            return ptr.as_ptr();
        }
        // SAFETY: the caller's promises about `layout` pass on unchanged.
        unsafe { self.overflow.alloc(layout) }
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}
